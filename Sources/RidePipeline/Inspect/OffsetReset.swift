import KafkaWire

/// Where `groups reset-offsets` moves a group's committed offsets (Kafka's `--to-earliest`,
/// `--to-latest`, `--to-offset`, `--to-datetime`, `--shift-by`).
public enum OffsetResetTarget: Hashable, Sendable {
    case earliest
    case latest
    case offset(Int64)
    /// The first record at or after this time (ms since the epoch); the log end when none is.
    case datetime(Int64)
    /// The committed offset moved by this many (negative: back).
    case shiftBy(Int64)
}

/// The partitions a reset covers: a topic's every partition, or some of them.
public struct TopicSelection: Hashable, Sendable {
    public var topic: String
    /// nil: every partition.
    public var partitions: [Int32]?

    public init(topic: String, partitions: [Int32]? = nil) {
        self.topic = topic
        self.partitions = partitions
    }

    /// "rides" or "rides:0,2" (Kafka's `--topic` syntax); nil when it is neither.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let name = parts.first, !name.isEmpty else { return nil }
        topic = String(name)
        guard parts.count == 2 else { return }
        let numbers = parts[1].split(separator: ",", omittingEmptySubsequences: false).map { Int32($0) }
        guard !numbers.isEmpty, numbers.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        partitions = numbers.map { $0! }
    }
}

/// What a reset needs from where the group's offsets live: a stopped data directory or a
/// Kafka port.
protocol OffsetResetSource {
    /// The topic's partition ids; throws `InspectionError.noSuchTopic` when it does not exist.
    func partitions(of topic: String) throws -> [Int32]
    func committed(_ group: String) throws -> [TopicPartition: Int64]
    /// The group's state and how many members it has (none for a stopped directory).
    func activity(_ group: String) throws -> (state: String, members: Int)
    func bounds(_ partitions: [TopicPartition]) throws -> [TopicPartition: (start: Int64, end: Int64)]
    func offsets(atOrAfter time: Int64, _ partitions: [TopicPartition]) throws -> [TopicPartition: Int64]
    func commit(_ group: String, _ offsets: [TopicPartition: Int64]) throws
}

/// A reset's plan: each partition's committed offset now and after, clamped into the log
/// as Kafka clamps it. `executed` says whether it was committed or only shown (the default,
/// as `kafka-consumer-groups --reset-offsets` without `--execute`).
public struct OffsetResetPlan: Encodable, Hashable, Sendable {
    public struct Row: Encodable, Hashable, Sendable {
        public var topic: String
        public var partition: Int32
        public var currentOffset: Int64?
        public var newOffset: Int64

        enum CodingKeys: String, CodingKey { case topic, partition, currentOffset, newOffset }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(topic, forKey: .topic)
            try container.encode(partition, forKey: .partition)
            try container.encode(currentOffset, forKey: .currentOffset)
            try container.encode(newOffset, forKey: .newOffset)
        }
    }

    public var group: String
    public var executed: Bool
    public var rows: [Row]

    /// Plans (and with `execute` commits) a reset. Refused, before anything is written, while
    /// the group has members, for a topic that does not exist, and for a shift of a partition
    /// with no committed offset.
    static func make(
        group: String, topics: [TopicSelection]?, to target: OffsetResetTarget, execute: Bool, source: some OffsetResetSource
    ) throws -> OffsetResetPlan {
        let activity = try source.activity(group)
        guard activity.members == 0 else { throw InspectionError.groupActive(group, state: activity.state, members: activity.members) }
        let committed = try source.committed(group)
        var partitions: [TopicPartition] = []
        for selection in topics ?? Set(committed.keys.map(\.topic)).sorted().map({ TopicSelection(topic: $0) }) {
            let existing = try source.partitions(of: selection.topic)
            for partition in selection.partitions ?? existing {
                guard existing.contains(partition) else {
                    throw InspectionError.noSuchPartition(selection.topic, partition, count: existing.count)
                }
                partitions.append(TopicPartition(selection.topic, PartitionID(partition)))
            }
        }
        guard !partitions.isEmpty else { throw InspectionError.nothingToReset(group) }
        let bounds = try source.bounds(partitions)
        let found: [TopicPartition: Int64]
        if case let .datetime(time) = target { found = try source.offsets(atOrAfter: time, partitions) } else { found = [:] }
        var rows: [Row] = []
        for partition in partitions {
            let (start, end) = bounds[partition] ?? (0, 0)
            let wanted: Int64
            switch target {
            case .earliest: wanted = start
            case .latest: wanted = end
            case let .offset(offset): wanted = offset
            case .datetime: wanted = found[partition] ?? end
            case let .shiftBy(delta):
                guard let current = committed[partition] else { throw InspectionError.nothingToShift(group, partition) }
                wanted = current.addingReportingOverflow(delta).overflow ? (delta < 0 ? start : end) : current + delta
            }
            rows.append(Row(topic: partition.topic, partition: partition.partition.rawValue, currentOffset: committed[partition], newOffset: min(max(wanted, start), end)))
        }
        if execute {
            try source.commit(group, Dictionary(uniqueKeysWithValues: rows.map { (TopicPartition($0.topic, PartitionID($0.partition)), $0.newOffset) }))
        }
        return OffsetResetPlan(group: group, executed: execute, rows: rows)
    }

    /// Kafka's table (GROUP, TOPIC, PARTITION, NEW-OFFSET) with the current offset beside,
    /// and a last line saying whether anything changed.
    public var text: String {
        var table = TextTable([.left, .left, .right, .right, .right])
        table.append(["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"])
        for row in rows {
            table.append([group, row.topic, "\(row.partition)", row.currentOffset.map { "\($0)" } ?? "-", "\(row.newOffset)"])
        }
        let outcome = executed
            ? "Committed: consumers of group '\(group)' that start from committed offsets read from these when they next join."
            : "Dry run: nothing was changed. Add --execute to commit the new offsets."
        return (table.lines() + [outcome]).joined(separator: "\n")
    }
}
