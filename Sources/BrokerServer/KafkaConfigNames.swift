import Broker
import Groups
import KafkaWire
import LogStore

/// The broker's own settings under their Kafka names, for DescribeConfigs (read-only: they
/// come from the command line or the configuration file). Topic settings: `KafkaTopicSettings`.
enum KafkaConfigNames {
    /// The broker's own settings as DescribeConfigs reports them (read-only: they come from the
    /// command line or the configuration file).
    static func brokerEntries(
        _ broker: BrokerConfiguration, server: ServerConfiguration, boundPort: Int, advertised: Metadata.Broker
    ) -> [DescribeConfigs.Entry] {
        let log = broker.log
        let entries: [(String, String, DescribeConfigs.ValueType)] = [
            ("broker.id", String(server.nodeID), .int),
            ("listeners", "PLAINTEXT://\(server.host):\(boundPort)", .string),
            ("advertised.listeners", "PLAINTEXT://\(advertised.host):\(advertised.port)", .string),
            ("num.partitions", String(broker.defaultPartitions), .int),
            ("auto.create.topics.enable", String(broker.autoCreateTopics), .boolean),
            ("default.replication.factor", "1", .int),
            ("log.dirs", broker.dataDirectory, .string),
            ("log.retention.ms", String(log.retentionMilliseconds ?? -1), .long),
            ("log.retention.bytes", String(log.retentionBytes ?? -1), .long),
            ("log.segment.bytes", String(log.segmentBytes), .int),
            ("log.roll.ms", String(log.segmentMilliseconds), .long),
            ("log.index.interval.bytes", String(log.indexIntervalBytes), .int),
            ("log.flush.interval.messages", KafkaTopicSettings.flushMessages(log.flush), .long),
            ("log.flush.interval.ms", KafkaTopicSettings.flushMilliseconds(log.flush), .long),
            ("log.retention.check.interval.ms", String(broker.retentionCheckIntervalMs), .long),
            ("message.max.bytes", String(log.maxBatchBytes), .int),
            ("socket.request.max.bytes", String(server.maxFrameBytes), .int),
            ("connections.max.idle.ms", String(server.idleTimeoutMs), .long),
            ("group.initial.rebalance.delay.ms", String(broker.groups.initialRebalanceDelayMs), .int),
            ("group.min.session.timeout.ms", String(broker.groups.minSessionTimeoutMs), .int),
            ("group.max.session.timeout.ms", String(broker.groups.maxSessionTimeoutMs), .int),
            ("group.max.size", String(broker.groups.maxGroupSize), .int),
        ]
        return entries.map { DescribeConfigs.Entry(name: $0.0, value: $0.1, readOnly: true, source: .staticBrokerConfig, type: $0.2) }
    }

}
