import Broker
import Groups
import KafkaWire
import RidePipeline

/// Topics and groups as `/metrics` shows them, read at one moment: each partition's oldest and
/// current (high watermark) offsets, each group's members and committed offsets, and, for a
/// RideStream run, what each sink stored in its database.
///
/// Committed offsets are the log's (what Kafka's tools and kafka_exporter report); a sink's
/// stored offsets are its database's, written in the same transaction as its rows. The sinks
/// mirror them into the log as they go, so the two agree at rest and may differ by a batch
/// while a run goes on.
public struct ClusterView: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        public var oldestOffset: Int64
        public var currentOffset: Int64
    }

    public struct Group: Sendable, Equatable {
        public var name: String
        public var members: Int
        /// Committed offset by topic and partition.
        public var committed: [Committed]
        /// The coordinator's description: state, generation, members and their assignments
        /// (a broker's groups; nil for a run's).
        public var description: GroupDescription? = nil
    }

    public struct Committed: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
    }

    public var partitions: [Partition] = []
    public var groups: [Group] = []
    /// A RideStream run's sinks: per group, each partition's stored next offset.
    public var stored: [String: [Int32: Int64]] = [:]
    /// The run's topic, which the stored offsets belong to.
    public var sinkTopic: String?

    public init() {}

    /// Every topic and group of a broker (`broker serve`), whichever clients use it.
    public static func read(_ broker: Broker) async -> ClusterView {
        var view = ClusterView()
        for topic in broker.topicNames() {
            guard let description = try? broker.describeTopic(topic) else { continue }  // deleted meanwhile
            for partition in description.partitions {
                let id = TopicPartition(topic, partition.partition)
                let readable = (try? broker.readableBounds(id))?.highWatermark ?? partition.logEndOffset
                view.partitions.append(Partition(
                    topic: topic, partition: partition.partition.rawValue, oldestOffset: partition.logStartOffset.rawValue,
                    currentOffset: readable.rawValue
                ))
            }
        }
        for listed in await broker.coordinator.listGroups() {
            let description = await broker.coordinator.describe(groupID: listed.groupID)
            let committed = await broker.coordinator.fetchOffsets(groupID: listed.groupID)
            view.groups.append(Group(
                name: listed.groupID, members: description?.members.count ?? 0,
                committed: committed.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }.map {
                    Committed(topic: $0.key.topic, partition: $0.key.partition.rawValue, offset: $0.value.offset.rawValue)
                },
                description: description
            ))
        }
        return view
    }

    /// A live run: its topic, its groups and their sinks.
    public static func read(_ run: LiveRun) async -> ClusterView {
        var view = ClusterView()
        let topic = run.configuration.topic
        view.sinkTopic = topic
        for partition in 0 ..< run.partitionCount {
            guard let bounds = try? await run.log.bounds(topic, partition: PartitionID(Int32(partition))) else { continue }
            view.partitions.append(Partition(topic: topic, partition: Int32(partition), oldestOffset: bounds.start.rawValue, currentOffset: bounds.end.rawValue))
        }
        let snapshot = run.state.snapshot
        for group in run.groups {
            var members = await run.log.describeGroup(group.rawValue)?.assignment.count
            if members == nil { members = await run.consumers(group).filter { $0.state == .running }.count }
            let committed = await run.log.committedOffsets(group.rawValue, topic: topic) ?? [:]
            view.groups.append(Group(
                name: group.rawValue, members: members ?? 0,
                committed: committed.keys.sorted().map { Committed(topic: topic, partition: $0.rawValue, offset: committed[$0]!.rawValue) }
            ))
            view.stored[group.rawValue] = Dictionary(uniqueKeysWithValues: (snapshot.stored[group] ?? [:]).map { ($0.key.rawValue, $0.value.rawValue) })
        }
        return view
    }
}
