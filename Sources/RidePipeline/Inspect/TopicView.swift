import Broker
import Foundation
import KafkaWire
import LogStore

/// One topic as `ridestream topics describe` shows it: its partitions' offsets and files,
/// and its settings with where each value comes from (as `kafka-configs --describe --all`).
public struct TopicView: Encodable, Hashable, Sendable {
    public struct Partition: Encodable, Hashable, Sendable {
        public var partition: Int32
        public var logStartOffset: Int64
        public var logEndOffset: Int64
        public var bytes: Int
        public var segments: Int
        /// The file retention deletes next.
        public var oldestSegment: String
        /// When the oldest segment was last written, ISO 8601 UTC.
        public var lastWritten: String
        /// How the log was found: clean, checked, or a torn tail the next run cuts.
        public var opened: String
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

    init(_ description: TopicDescription, broker: BrokerConfiguration) {
        name = description.name
        events = description.partitions.reduce(Int64(0)) { $0 + ($1.logEndOffset - $1.logStartOffset) }
        partitions = description.partitions.map { partition in
            Partition(
                partition: partition.partition.rawValue, logStartOffset: partition.logStartOffset.rawValue,
                logEndOffset: partition.logEndOffset.rawValue, bytes: partition.sizeInBytes, segments: partition.segments,
                oldestSegment: partition.oldestSegment.fileName, lastWritten: Self.time(partition.oldestSegment.lastWrite),
                opened: Self.opened(partition.recovery)
            )
        }
        configs = KafkaTopicSettings.entries(description.configuration, broker: broker).map { entry in
            Setting(name: entry.name, value: entry.value, source: Self.sourceName(entry.source), readOnly: entry.readOnly)
        }
    }

    static func sourceName(_ source: DescribeConfigs.Source) -> String {
        switch source {
        case .topicConfig: return "DYNAMIC_TOPIC_CONFIG"
        case .staticBrokerConfig: return "STATIC_BROKER_CONFIG"
        case .defaultConfig: return "DEFAULT_CONFIG"
        }
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
