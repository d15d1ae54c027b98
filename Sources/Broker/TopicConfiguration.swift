import KafkaWire
import LogStore

/// The settings of one topic, stored beside its partitions as `topic.json` and reloaded on
/// restart. Unset values fall back to the broker's defaults (`BrokerConfiguration.log`).
public struct TopicConfiguration: Codable, Hashable, Sendable {
    /// Number of partitions, at least 1 (Kafka `num.partitions` defaults to 1).
    public var partitions: Int
    /// -1 keeps data forever, whatever the broker default (Kafka's `retention.ms=-1`).
    public var retentionMilliseconds: Int64?
    /// -1: no size limit (Kafka's `retention.bytes=-1`).
    public var retentionBytes: Int64?
    public var segmentBytes: Int?
    public var segmentMilliseconds: Int64?
    public var maxMessageBytes: Int?

    public init(
        partitions: Int = 1, retentionMilliseconds: Int64? = nil, retentionBytes: Int64? = nil,
        segmentBytes: Int? = nil, segmentMilliseconds: Int64? = nil, maxMessageBytes: Int? = nil
    ) {
        self.partitions = partitions
        self.retentionMilliseconds = retentionMilliseconds
        self.retentionBytes = retentionBytes
        self.segmentBytes = segmentBytes
        self.segmentMilliseconds = segmentMilliseconds
        self.maxMessageBytes = maxMessageBytes
    }

    /// The log settings of this topic's partitions: the broker default with this topic's
    /// overrides.
    public func logConfiguration(defaults: LogConfiguration) -> LogConfiguration {
        var log = defaults
        if let retentionMilliseconds { log.retentionMilliseconds = retentionMilliseconds < 0 ? nil : retentionMilliseconds }
        if let retentionBytes { log.retentionBytes = retentionBytes < 0 ? nil : retentionBytes }
        if let segmentBytes { log.segmentBytes = segmentBytes }
        if let segmentMilliseconds { log.segmentMilliseconds = segmentMilliseconds }
        if let maxMessageBytes { log.maxBatchBytes = maxMessageBytes }
        return log
    }

    /// Checks the partition count and the resulting log settings; the error names the setting.
    public func validate(defaults: LogConfiguration) throws(BrokerError) {
        guard partitions >= 1, partitions <= 10_000 else {
            throw BrokerError(.invalidPartitions, "partitions must be between 1 and 10000, got \(partitions)")
        }
        do {
            try logConfiguration(defaults: defaults).validate()
        } catch {
            throw BrokerError(.invalidConfig, "invalid topic configuration: \(error.message)", cause: error)
        }
    }
}
