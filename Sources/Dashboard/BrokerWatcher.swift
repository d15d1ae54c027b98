import Broker
import Groups
import KafkaWire
import RidePipeline

/// Builds the dashboard's snapshots of a broker (`broker serve --dashboard`), whichever Kafka
/// clients use it: every topic's partitions with their offsets and append rate, every group
/// with its state, members (client id and host) and their partitions, committed offsets and
/// lag, lag over time, and the rebalance timeline from the generations the coordinator saw
/// complete (`BrokerTimeline`).
///
/// Lag is Kafka's: the high watermark minus the group's committed offset, per partition the
/// group committed or has assigned. Bounded however many clients come: at most
/// `DashboardSnapshot.partitionLimit` partitions and `groupLimit` groups listed (the rest
/// counted), each timeline the newest `timelineLimit` generations. Used from one task at a
/// time (the dashboard's sampler).
public struct BrokerWatcher: Sendable {
    public static let groupLimit = 100
    public static let timelineLimit = 50

    private let address: String
    /// The coordinator's clock when watching began: the timeline's zero.
    private let startMs: Int64
    private var histories: [String: LagHistory] = [:]
    private var previousEnds: [TopicPartition: Int64] = [:]
    private var previousWall: Double?
    /// Each group's timeline, rebuilt only when its generations or members change.
    private var timelines: [String: (key: [String], timeline: [RecordedRebalance])] = [:]

    public init(address: String, startMs: Int64) {
        self.address = address
        self.startMs = startMs
    }

    public mutating func sample(_ broker: Broker, wallSeconds: Double) async -> DashboardSnapshot {
        let view = await ClusterView.read(broker)
        let interval = previousWall.map { wallSeconds - $0 } ?? 0
        previousWall = wallSeconds
        var ends: [TopicPartition: Int64] = [:]
        for partition in view.partitions { ends[TopicPartition(partition.topic, PartitionID(partition.partition))] = partition.currentOffset }
        let partitions = view.partitions.prefix(DashboardSnapshot.partitionLimit).map { partition in
            let previous = previousEnds[TopicPartition(partition.topic, PartitionID(partition.partition))] ?? partition.currentOffset
            return DashboardSnapshot.Partition(
                topic: partition.topic, partition: Int(partition.partition), regions: [], logStart: partition.oldestOffset,
                logEnd: partition.currentOffset, eventsPerSecond: interval > 0 ? (Double(partition.currentOffset - previous) / interval).rounded() : 0
            )
        }
        previousEnds = ends
        var groups: [DashboardSnapshot.Group] = []
        for group in view.groups.prefix(Self.groupLimit) {
            groups.append(makeGroup(group, ends: ends, generations: await broker.coordinator.generations(groupID: group.name), second: wallSeconds))
        }
        let shown = Set(groups.map(\.name))
        histories = histories.filter { shown.contains($0.key) }
        timelines = timelines.filter { shown.contains($0.key) }
        return DashboardSnapshot(
            run: nil,
            broker: .init(
                address: address, topics: Set(view.partitions.map(\.topic)).count, groups: view.groups.count, wallSeconds: wallSeconds,
                partitionsNotShown: max(0, view.partitions.count - DashboardSnapshot.partitionLimit),
                groupsNotShown: max(0, view.groups.count - Self.groupLimit)
            ),
            regions: [], map: nil, partitions: partitions, groups: groups
        )
    }

    private mutating func makeGroup(
        _ group: ClusterView.Group, ends: [TopicPartition: Int64], generations: [GroupGeneration], second: Double
    ) -> DashboardSnapshot.Group {
        let description = group.description
        let members = description?.members ?? []
        let name = BrokerTimeline.names(generations, current: members)
        let key = ["\(generations.last?.generation.rawValue ?? -1)", "\(generations.count)"] + members.map(\.memberID.rawValue)
        if timelines[group.name]?.key != key {
            let timeline = BrokerTimeline.make(Array(generations.suffix(Self.timelineLimit)), startMs: startMs, name: name)
            timelines[group.name] = (key, timeline)
        }
        var owners: [TopicPartition: String] = [:]
        var consumers: [DashboardSnapshot.Consumer] = []
        let stable = description?.state == .stable
        let readable = stable && description?.protocolType == "consumer"
        for member in members {
            let assigned = readable ? (try? ConsumerAssignment.decode(member.assignment))?.partitions ?? [] : []
            let label = name(member.memberID, member.clientID)
            for partition in assigned { owners[partition] = label }
            consumers.append(.init(
                id: label, state: "running", partitions: assigned.map { Int($0.partition.rawValue) }.sorted(), idle: readable && assigned.isEmpty,
                events: 0, transactions: 0, client: "\(member.clientID.isEmpty ? "(no client id)" : member.clientID) on \(member.clientHost)"
            ))
        }
        var committed: [TopicPartition: Int64] = [:]
        for entry in group.committed { committed[TopicPartition(entry.topic, PartitionID(entry.partition))] = entry.offset }
        let lags = Set(committed.keys).union(owners.keys).filter { ends[$0] != nil }.sorted().prefix(DashboardSnapshot.partitionLimit).map { partition in
            let stored = committed[partition]
            return DashboardSnapshot.PartitionLag(
                topic: partition.topic, partition: Int(partition.partition.rawValue), owner: owners[partition], stored: stored,
                lag: stored.map { max(0, ends[partition]! - $0) }, secondsBehind: nil
            )
        }
        let total = lags.reduce(Int64(0)) { $0 + ($1.lag ?? 0) }
        histories[group.name, default: LagHistory()].append(second: second, lag: total, secondsBehind: nil)
        return DashboardSnapshot.Group(
            name: group.name, database: "", generation: description?.generation.rawValue ?? 0,
            stable: description.map { $0.state == .stable || $0.state == .empty } ?? true, state: description?.state.rawValue ?? GroupState.empty.rawValue,
            consumers: consumers, partitions: Array(lags), lag: total, secondsBehind: nil, events: nil, transactions: nil,
            history: histories[group.name]!.series, timeline: timelines[group.name]!.timeline
        )
    }
}
