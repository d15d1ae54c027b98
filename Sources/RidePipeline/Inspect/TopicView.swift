import Broker
import Foundation
import KafkaWire
import LogStore

/// One topic as `ridestream topics describe` shows it: its partitions' offsets and files,
/// and its settings with where each value comes from (as `kafka-configs --describe --all`).
public struct TopicView: Encodable, Hashable, Sendable {
    /// A partition; the file facts are nil when it was read through a Kafka port.
    public struct Partition: Encodable, Hashable, Sendable {
        public var partition: Int32
        public var logStartOffset: Int64
        public var logEndOffset: Int64
        public var bytes: Int?
        public var segments: Int?
        /// The file retention deletes next.
        public var oldestSegment: String?
        /// When the oldest segment was last written, ISO 8601 UTC.
        public var lastWritten: String?
        /// How the log was found: clean, checked, or a torn tail the next run cuts.
        public var opened: String?

        enum CodingKeys: String, CodingKey {
            case partition, logStartOffset, logEndOffset, bytes, segments, oldestSegment, lastWritten, opened
        }

        /// Every key, null where unknown.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(partition, forKey: .partition)
            try container.encode(logStartOffset, forKey: .logStartOffset)
            try container.encode(logEndOffset, forKey: .logEndOffset)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(segments, forKey: .segments)
            try container.encode(oldestSegment, forKey: .oldestSegment)
            try container.encode(lastWritten, forKey: .lastWritten)
            try container.encode(opened, forKey: .opened)
        }
    }

    public struct Setting: Encodable, Hashable, Sendable {
        public var name: String
        public var value: String?
        /// Kafka's name for where the value comes from: DYNAMIC_TOPIC_CONFIG (this topic's
        /// own), STATIC_BROKER_CONFIG (the broker's), DEFAULT_CONFIG (fixed here).
        public var source: String
        public var readOnly: Bool
    }

    public var name: String
    /// Events in the log: the sum of (log end - log start) over the partitions.
    public var events: Int64
    public var partitions: [Partition]
    public var configs: [Setting]

    init(name: String, partitions: [Partition], configs: [Setting]) {
        self.name = name
        self.partitions = partitions
        self.configs = configs
        events = Self.events(partitions)
    }

    /// The records between each partition's start and end, over the partitions whose bounds
    /// are known (not -1), saturating rather than trapping on a broker's absurd offsets.
    static func events(_ partitions: [Partition]) -> Int64 {
        partitions.reduce(Int64(0)) { total, partition in
            guard partition.logStartOffset >= 0, partition.logEndOffset >= partition.logStartOffset else { return total }
            let (sum, overflow) = total.addingReportingOverflow(partition.logEndOffset - partition.logStartOffset)
            return overflow ? .max : sum
        }
    }

    init(_ description: TopicDescription, broker: BrokerConfiguration) {
        name = description.name
        partitions = description.partitions.map { partition in
            Partition(
                partition: partition.partition.rawValue, logStartOffset: partition.logStartOffset.rawValue,
                logEndOffset: partition.logEndOffset.rawValue, bytes: partition.sizeInBytes, segments: partition.segments,
                oldestSegment: partition.oldestSegment.fileName, lastWritten: Self.time(partition.oldestSegment.lastWrite),
                opened: Self.opened(partition.recovery)
            )
        }
        events = Self.events(partitions)
        configs = KafkaTopicSettings.entries(description.configuration, broker: broker).map { entry in
            Setting(name: entry.name, value: entry.value, source: Self.sourceName(entry.source), readOnly: entry.readOnly)
        }
    }

    static func sourceName(_ source: DescribeConfigs.Source) -> String { sourceName(source.rawValue) }

    /// Kafka's `ConfigSource` names, by number.
    static func sourceName(_ source: Int8) -> String {
        let names = [
            "UNKNOWN", "DYNAMIC_TOPIC_CONFIG", "DYNAMIC_BROKER_CONFIG", "DYNAMIC_DEFAULT_BROKER_CONFIG", "STATIC_BROKER_CONFIG",
            "DEFAULT_CONFIG", "DYNAMIC_BROKER_LOGGER_CONFIG", "CLIENT_METRICS_CONFIG", "GROUP_CONFIG",
        ]
        return (0 ..< Int8(names.count)).contains(source) ? names[Int(source)] : "SOURCE_\(source)"
    }

    /// How the log was found: "clean", "not closed cleanly, checked", or a torn tail the next
    /// run cuts (inspection leaves it).
    static func opened(_ recovery: RecoveryReport) -> String {
        if recovery.cleanShutdown { return "clean" }
        guard recovery.truncatedBytes > 0 else { return "not closed cleanly, checked" }
        return "torn tail: \(recovery.truncatedRecords) records in \(recovery.truncatedBytes) bytes, cut by the next run"
    }

    /// A wall-clock time in UTC, to the second.
    static func time(_ milliseconds: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
