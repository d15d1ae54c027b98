/// One completed rebalance of a group, as its database records it and a learner reads it: the
/// generation, why it happened, who owns which partition now, and what moved from whom.
///
/// The group protocol says who the members of a generation are, not why they changed, so
/// `make` infers the cause from the previous recorded generation and the run's
/// `RebalanceContext`: a member new since then joined; one gone left, and if the run crashed
/// it, stopped heartbeating until its session timed out. A pure function of its inputs.
///
/// Members are named by their client id ("fare-2"); a label keeps its member-id suffix
/// ("fare-2(a1b2c3)") only where two members share a client id.
public struct RebalanceRecord: Sendable, Equatable {
    public enum Cause: String, Sendable {
        /// The first generation recorded: the group's consumers took their partitions.
        case formed
        case joined
        /// Left the group cleanly (a LeaveGroup).
        case left
        /// Stopped heartbeating (crashed) until the coordinator gave up on its session.
        case sessionTimeout = "session timeout"
        /// The same members joined again (a member's metadata changed, or it rejoined).
        case rejoined
    }

    /// A partition that changed owner; `from` nil: nobody had it, `to` nil: nobody has it.
    public struct Move: Sendable, Hashable {
        public var partition: Int
        public var from: String?
        public var to: String?
    }

    public var generation: Int32
    /// Simulated time production had reached when the rebalance was recorded.
    public var simulatedMs: Int64?
    /// The same, in seconds from the run's first tick.
    public var runSecond: Double?
    /// Every cause found, the one that explains the most first.
    public var causes: [Cause]
    /// Each member and its partitions, sorted; an idle member has none.
    public var assignment: [String: [Int]]
    /// Partitions whose owner differs from the previous recorded generation, by partition.
    public var moves: [Move]
    /// What happened, in one or two plain sentences.
    public var story: String

    public var idle: [String] { assignment.filter { $0.value.isEmpty }.keys.sorted() }

    /// - Parameters:
    ///   - previous: the previous recorded generation's assignment by member name, nil when
    ///     this is the first one recorded.
    ///   - previousMs: that generation's simulated time: only consumer events from then on
    ///     explain this one (nil: every event).
    ///   - assignment: this generation's, by member label ("client(…id)").
    public static func make(
        generation: Int32, previous: [String: [Int]]?, previousMs: Int64? = nil, assignment labels: [String: [Int]], context: RebalanceContext
    ) -> RebalanceRecord {
        var context = context
        if let previousMs { context.events.removeAll { $0.simulatedMs < previousMs } }
        let assignment = named(labels)
        let runSecond = context.simulatedMs.map { Double($0 - context.startMs) / 1000 }
        var record = RebalanceRecord(
            generation: generation, simulatedMs: context.simulatedMs, runSecond: runSecond, causes: [],
            assignment: assignment.mapValues { $0.sorted() }, moves: [], story: ""
        )
        guard let previous else {
            record.causes = [.formed]
            record.story = formedStory(record)
            return record
        }
        record.moves = moves(from: previous, to: record.assignment)
        let joined = record.assignment.keys.filter { previous[$0] == nil }.sorted()
        let gone = previous.keys.filter { record.assignment[$0] == nil }.sorted()
        let crashed = gone.filter { lastEvent(of: $0, in: context)?.kind == .crashed }
        let left = gone.filter { !crashed.contains($0) }
        if !crashed.isEmpty { record.causes.append(.sessionTimeout) }
        if !left.isEmpty { record.causes.append(.left) }
        if !joined.isEmpty { record.causes.append(.joined) }
        if record.causes.isEmpty { record.causes = [.rejoined] }

        var reasons: [String] = []
        for name in crashed {
            reasons.append("\(name) crashed\(when(name, .crashed, context)) and stopped heartbeating; after \(seconds(Int64(context.sessionTimeoutMs))) without a heartbeat its session expired")
        }
        for name in left {
            if lastEvent(of: name, in: context)?.kind == .removed {
                reasons.append("\(name) left the group\(when(name, .removed, context))")
            } else {
                // Nothing the run did: it left, or was dropped for not rejoining in time.
                reasons.append("\(name) dropped out (it left, or did not rejoin within the rebalance timeout)")
            }
        }
        for name in joined { reasons.append("\(name) joined\(when(name, .added, context))") }
        if reasons.isEmpty { reasons.append("the same members joined again") }
        let at = runSecond.map { " (at \(format($0)) s)" } ?? ""
        record.story = sentence(reasons.joined(separator: "; ")) + " Generation \(generation)\(at) " + movesText(record) + "."
        return record
    }

    // MARK: - Text

    private static func formedStory(_ record: RebalanceRecord) -> String {
        let at = record.runSecond.map { " at \(format($0)) s" } ?? ""
        let owners = record.assignment.keys.sorted().filter { !(record.assignment[$0]!.isEmpty) }
            .map { "\($0) got \(partitions(record.assignment[$0]!))" }
        var text = "Generation \(record.generation) formed the group\(at): " + (owners.isEmpty ? "no partition assigned" : owners.joined(separator: ", "))
        if !record.idle.isEmpty { text += "; " + idleText(record.idle) }
        return text + "."
    }

    private static func movesText(_ record: RebalanceRecord) -> String {
        var text: String
        if record.moves.isEmpty {
            text = "moved no partition"
        } else {
            var parts: [String] = []
            let groups = Dictionary(grouping: record.moves) { [$0.from ?? "", $0.to ?? ""] }
            for key in groups.keys.sorted(by: { groups[$0]![0].partition < groups[$1]![0].partition }) {
                let moved = partitions(groups[key]!.map(\.partition))
                let (from, to) = (key[0], key[1])
                switch (from.isEmpty || record.assignment[from] == nil, to.isEmpty) {
                case (_, true): parts.append("left \(moved) unassigned")
                case (true, false): parts.append("gave \(moved) to \(to)")
                case (false, false): parts.append("moved \(moved) from \(from) to \(to)")
                }
            }
            text = parts.joined(separator: ", ")
        }
        if !record.idle.isEmpty { text += "; " + idleText(record.idle) }
        return text
    }

    private static func idleText(_ idle: [String]) -> String {
        idle.joined(separator: ", ") + (idle.count == 1 ? " is" : " are") + " idle (more consumers than partitions)"
    }

    private static func partitions(_ list: [Int]) -> String {
        let sorted = list.sorted().map(String.init)
        return (sorted.count == 1 ? "partition " : "partitions ") + sorted.joined(separator: ", ")
    }

    /// A sentence that starts with a consumer's name, which keeps its case.
    private static func sentence(_ text: String) -> String { text + "." }

    /// " at 300 s" when the consumer's last event is of this kind, else nothing.
    private static func when(_ consumer: String, _ kind: ConsumerEvent.Kind, _ context: RebalanceContext) -> String {
        guard let event = lastEvent(of: consumer, in: context), event.kind == kind else { return "" }
        return " at " + format(Double(event.simulatedMs - context.startMs) / 1000) + " s"
    }

    private static func seconds(_ milliseconds: Int64) -> String { format(Double(milliseconds) / 1000) + " s" }

    /// Whole seconds without decimals, others with one.
    public static func format(_ seconds: Double) -> String {
        let tenths = (seconds * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int(tenths / 10)) : String(tenths / 10)
    }

    // MARK: - Members and moves

    /// Labels "client(…id)" as client ids, where those are unique.
    static func named(_ labels: [String: [Int]]) -> [String: [Int]] {
        func client(_ label: String) -> String { label.firstIndex(of: "(").map { String(label[..<$0]) } ?? label }
        let counts = Dictionary(grouping: labels.keys, by: client).mapValues(\.count)
        return Dictionary(uniqueKeysWithValues: labels.map { (counts[client($0.key)] == 1 ? client($0.key) : $0.key, $0.value) })
    }

    private static func moves(from previous: [String: [Int]], to current: [String: [Int]]) -> [Move] {
        func owners(_ assignment: [String: [Int]]) -> [Int: String] {
            var result: [Int: String] = [:]
            for (member, partitions) in assignment { for partition in partitions { result[partition] = member } }
            return result
        }
        let before = owners(previous)
        let after = owners(current)
        return Set(before.keys).union(after.keys).sorted().compactMap { partition in
            before[partition] == after[partition] ? nil : Move(partition: partition, from: before[partition], to: after[partition])
        }
    }

    private static func lastEvent(of consumer: String, in context: RebalanceContext) -> ConsumerEvent? {
        context.events.last { $0.consumer == consumer }
    }
}
