import KafkaWire
import LogStore
import Logging

extension Broker {
    /// Deletes the records of a partition below `offset` (Kafka's DeleteRecords; -1 means the
    /// high watermark): its log start moves there durably, readers and ListOffsets earliest
    /// follow, and the whole segments below it are removed. Returns the new log start (Kafka's
    /// low watermark).
    ///
    /// - Throws: OFFSET_OUT_OF_RANGE past the high watermark or below -1; POLICY_VIOLATION for
    ///   a protected topic (a live run's); the log's storage errors.
    @discardableResult
    public func deleteRecords(_ id: TopicPartition, below offset: Offset) throws(BrokerError) -> Offset {
        try adminLock.withLock { () throws(BrokerError) in
            try requireWritable()
            let log = try partition(id).log
            try requireUnprotected(id.topic, "trimmed")
            let target = offset == Offset(-1) ? log.highWatermark : offset
            do throws(LogError) {
                return try log.deleteRecords(below: target)
            } catch {
                throw BrokerError(error, topicPartition: id)
            }
        }
    }

    /// Gives a topic new settings (AlterConfigs, IncrementalAlterConfigs): `change` turns the
    /// current settings into the new ones under the administration lock (two changes at once
    /// never lose one another), the result is checked, written to `topic.json` durably, then
    /// applied to every partition's log at once (retention takes effect at the next
    /// maintenance pass, segment settings at the next append). The partition count cannot
    /// change here. With `validateOnly` nothing is written or applied.
    ///
    /// - Throws: what `change` throws; INVALID_CONFIG naming the setting; POLICY_VIOLATION for a
    ///   protected topic; KAFKA_STORAGE_ERROR when `topic.json` cannot be written (nothing is
    ///   applied then).
    public func reconfigureTopic(
        _ name: String, validateOnly: Bool = false, _ change: (TopicConfiguration) throws(BrokerError) -> TopicConfiguration
    ) throws(BrokerError) {
        try adminLock.withLock { () throws(BrokerError) in
            try requireWritable()
            let topic = try topic(name)
            let current = topic.configuration
            let updated = try change(current)
            guard updated.partitions == current.partitions else {
                throw BrokerError(.invalidConfig, "topic '\(name)' keeps its \(current.partitions) partitions; add partitions with CreatePartitions")
            }
            try updated.validate(defaults: configuration.log)
            try requireUnprotected(name, "reconfigured")
            guard !validateOnly, updated != current else { return }
            try writeTopicConfiguration(updated, directory: topic.directory)
            let log = updated.logConfiguration(defaults: configuration.log)
            for partition in topic.partitions {
                do throws(LogError) {
                    try partition.log.reconfigure(log)
                } catch {
                    throw BrokerError(error, topicPartition: partition.id)
                }
            }
            topic.setConfiguration(updated)
            logger.info("reconfigured topic", metadata: ["topic": "\(name)", "configuration": "\(updated)"])
        }
    }
}
