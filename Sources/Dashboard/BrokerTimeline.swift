import Broker
import Groups
import KafkaWire
import RidePipeline

/// A broker's group history as the dashboard's rebalance timeline: each completed generation
/// the coordinator recorded (`GroupGeneration`), with its cause, the partitions that moved
/// from whom to whom, and one plain sentence.
///
/// Unlike a run's timeline (`RebalanceRecord`), nothing is inferred: the coordinator knows why
/// it removed each member (a LeaveGroup: left; no heartbeat within the session: session
/// timeout; not back before a rebalance's deadline: dropped, which is also what becomes of a
/// restarted client's old member id). "formed" is said only of the group's first generation
/// recorded; one whose predecessors were trimmed away starts the list as it stands. Times are
/// seconds since `startMs` (the dashboard's start, on the coordinator's clock).
enum BrokerTimeline {
    /// Causes, the one that explains the most first.
    static let causeOrder = [RebalanceRecord.Cause.sessionTimeout.rawValue, RebalanceRecord.Cause.left.rawValue, dropped, RebalanceRecord.Cause.joined.rawValue]
    static let dropped = "dropped"
    /// The cause of a list's first generation when those before it were trimmed away.
    static let notKept = "earlier generations not kept"

    /// - Parameter name: a member's label (`names`).
    static func make(_ generations: [GroupGeneration], startMs: Int64, name: (MemberID, String) -> String) -> [RecordedRebalance] {
        var previous: [TopicPartition: String]?
        var previousMembers: Set<MemberID> = []
        return generations.map { generation in
            var owners: [TopicPartition: String] = [:]
            for member in generation.members {
                for partition in member.partitions { owners[partition] = name(member.memberID, member.clientID) }
            }
            let second = Double(generation.atMs - startMs) / 1000
            let before = previous
            defer {
                previous = owners
                previousMembers = Set(generation.members.map(\.memberID))
            }
            var causes: Set<String> = []
            var reasons: [String] = []
            for departure in generation.departures {
                causes.insert(cause(departure.reason))
                reasons.append(explain(departure, as: name(departure.memberID, departure.clientID)))
            }
            let at = "Generation \(generation.generation.rawValue) (at \(RebalanceRecord.format(second)) s)"
            guard let before else {
                let formed = generation.isFirst && generation.departures.isEmpty
                let prefix = reasons.isEmpty ? "" : reasons.joined(separator: "; ") + ". "
                return RecordedRebalance(
                    generation: generation.generation.rawValue, runSecond: second,
                    cause: formed ? RebalanceRecord.Cause.formed.rawValue : causes.isEmpty ? notKept : ordered(causes).joined(separator: ", "),
                    story: prefix + at + (formed ? " formed the group: " : generation.isFirst ? ": " : " (older generations are not kept): ")
                        + holdings(generation, owners: owners, name: name) + "."
                )
            }
            let moves = Set(before.keys).union(owners.keys).sorted().compactMap { partition -> RecordedRebalance.Move? in
                guard before[partition] != owners[partition], let to = owners[partition] else { return nil }
                return .init(partition: Int(partition.partition.rawValue), from: before[partition], to: to, topic: partition.topic)
            }
            let joined = generation.members.filter { !previousMembers.contains($0.memberID) }
            if !joined.isEmpty { causes.insert(RebalanceRecord.Cause.joined.rawValue) }
            reasons += joined.map { "\(name($0.memberID, $0.clientID)) joined from \($0.clientHost)" }
            if causes.isEmpty { reasons = ["the same members joined again"] }
            var story = reasons.joined(separator: "; ") + ". " + at + " "
            if generation.members.isEmpty {
                story += "has no members: the group is empty"
            } else if !generation.assignmentsKnown {
                story += "has \(count(generation.members.count, "member")) (protocol \(generation.protocolName), whose assignments are not Kafka's consumer protocol)"
            } else {
                story += describe(moves)
                let unassigned = before.keys.filter { owners[$0] == nil }.sorted()
                if !unassigned.isEmpty { story += "; " + list(unassigned) + " unassigned" }
                story += idle(generation)
            }
            return RecordedRebalance(
                generation: generation.generation.rawValue, runSecond: second,
                cause: causes.isEmpty ? RebalanceRecord.Cause.rejoined.rawValue : ordered(causes).joined(separator: ", "), story: story + ".",
                moves: moves
            )
        }
    }

    private static func cause(_ reason: GroupDeparture.Reason) -> String {
        switch reason {
        case .left, .abandoned: return RebalanceRecord.Cause.left.rawValue
        case .sessionExpired: return RebalanceRecord.Cause.sessionTimeout.rawValue
        case .notRejoined, .notSynced: return dropped
        case .replaced: return RebalanceRecord.Cause.joined.rawValue
        }
    }

    private static func ordered(_ causes: Set<String>) -> [String] { causeOrder.filter(causes.contains) }

    private static func explain(_ departure: GroupDeparture, as who: String) -> String {
        let timeout = RebalanceRecord.format(Double(departure.sessionTimeoutMs) / 1000)
        switch departure.reason {
        case .left: return "\(who) left the group"
        case .sessionExpired: return "\(who) stopped heartbeating; after \(timeout) s without a heartbeat its session expired"
        case .notRejoined: return "\(who) did not rejoin before the rebalance's deadline and was dropped"
        case .notSynced: return "\(who) did not fetch its assignment before the rebalance's deadline and was dropped"
        case .replaced: return "\(who) restarted with its group.instance.id and came back under a new member id, keeping its partitions"
        case .abandoned: return "\(who) gave up its first join before it learned its member id and was removed"
        }
    }

    /// Who holds what: "steady got t partitions 0, 1; idle-1 is idle".
    private static func holdings(_ generation: GroupGeneration, owners: [TopicPartition: String], name: (MemberID, String) -> String) -> String {
        if generation.members.isEmpty { return "the group has no members" }
        guard generation.assignmentsKnown else {
            return "\(count(generation.members.count, "member")) (protocol \(generation.protocolName), whose assignments are not Kafka's consumer protocol)"
        }
        let byOwner = Dictionary(grouping: owners.keys, by: { owners[$0]! })
        let given = byOwner.keys.sorted().map { "\($0) got \(list(byOwner[$0]!))" }
        return (given.isEmpty ? "no partition assigned" : given.joined(separator: ", ")) + idle(generation)
    }

    private static func idle(_ generation: GroupGeneration) -> String {
        guard generation.assignmentsKnown else { return "" }
        let idle = generation.members.filter(\.partitions.isEmpty).count
        return idle == 0 ? "" : "; \(count(idle, "member")) idle (more members than partitions)"
    }

    private static func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }

    private static func describe(_ moves: [RecordedRebalance.Move]) -> String {
        guard !moves.isEmpty else { return "moved no partition" }
        let byPath = Dictionary(grouping: moves) { [$0.from ?? "", $0.to] }
        func first(_ key: [String]) -> (String, Int) { (byPath[key]![0].topic ?? "", byPath[key]![0].partition) }
        return byPath.keys.sorted { first($0) < first($1) }.map { key in
            let partitions = list(byPath[key]!.map { TopicPartition($0.topic ?? "", PartitionID(Int32($0.partition))) })
            return key[0].isEmpty ? "gave \(partitions) to \(key[1])" : "moved \(partitions) from \(key[0]) to \(key[1])"
        }.joined(separator: ", ")
    }

    /// "driver-locations partitions 0, 1 and payments partition 2".
    private static func list(_ partitions: [TopicPartition]) -> String {
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        return byTopic.keys.sorted().map { topic in
            let numbers = byTopic[topic]!.map(\.partition.rawValue).sorted().map(String.init)
            return "\(topic) partition\(numbers.count == 1 ? "" : "s") \(numbers.joined(separator: ", "))"
        }.joined(separator: " and ")
    }

    /// Members' names in a group's history and its current members: the client id where only
    /// one member id has it, else the label with the end of the member id
    /// (`BuiltInEventLog.label`), so that two "rdkafka" clients are told apart.
    static func names(_ generations: [GroupGeneration], current: [MemberDescription]) -> (MemberID, String) -> String {
        var ids: [String: Set<MemberID>] = [:]
        for generation in generations {
            for member in generation.members { ids[member.clientID, default: []].insert(member.memberID) }
            for departure in generation.departures { ids[departure.clientID, default: []].insert(departure.memberID) }
        }
        for member in current { ids[member.clientID, default: []].insert(member.memberID) }
        return { id, client in
            guard !client.isEmpty, (ids[client]?.count ?? 0) <= 1 else { return BuiltInEventLog.label(id, clientID: client.isEmpty ? "(no client id)" : client) }
            return client
        }
    }
}
