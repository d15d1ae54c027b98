#if KafkaCluster
import CRdKafka
import Glibc

/// Topic administration and offsets through librdkafka: create a topic with its partitions
/// and replication factor, read a topic's partition count and a partition's watermarks.
public final class KafkaAdminClient: @unchecked Sendable {
    private let handle: OpaquePointer
    private let timeoutMs: Int32

    public init(settings: KafkaSettings, timeoutMs: Int32 = 30_000) throws(KafkaClusterError) {
        handle = try KafkaSettings.makeHandle(RD_KAFKA_PRODUCER, try settings.makeConfiguration(defaults: ["log_level": "3"]))
        self.timeoutMs = timeoutMs
    }

    deinit { rd_kafka_destroy(handle) }

    /// Creates a topic; returns false when it already exists (its partition count is then
    /// whatever it was created with: check `partitionCount`).
    @discardableResult
    public func createTopic(
        _ name: String, partitions: Int32, replicationFactor: Int32, configs: [String: String] = [:]
    ) throws(KafkaClusterError) -> Bool {
        var error = [CChar](repeating: 0, count: 512)
        guard let topic = rd_kafka_NewTopic_new(name, partitions, replicationFactor, &error, error.count) else {
            throw KafkaClusterError("topic \(name): \(text(of: error))")
        }
        defer { rd_kafka_NewTopic_destroy(topic) }
        for (key, value) in configs {
            let code = rd_kafka_NewTopic_set_config(topic, key, value)
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaClusterError("topic \(name) setting \(key)=\(value): \(describe(code))") }
        }
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        var topics: [OpaquePointer?] = [topic]
        rd_kafka_CreateTopics(handle, &topics, 1, nil, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMs) else {
            throw KafkaClusterError("creating topic \(name): no answer within \(timeoutMs) ms")
        }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaClusterError("creating topic \(name): \(String(cString: rd_kafka_event_error_string(event)))")
        }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
              let results = rd_kafka_CreateTopics_result_topics(result, &count), count == 1 else {
            throw KafkaClusterError("creating topic \(name): the answer has no result for it")
        }
        let code = rd_kafka_topic_result_error(results[0])
        if code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS { return false }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let message = rd_kafka_topic_result_error_string(results[0]).map { String(cString: $0) } ?? describe(code)
            throw KafkaClusterError("creating topic \(name): \(message)", code: code.rawValue)
        }
        return true
    }

    /// The number of partitions of a topic, from the cluster's metadata. Right after the
    /// topic's creation a cluster may not know it everywhere yet: errors are retried for up
    /// to `retryMs`.
    public func partitionCount(_ topic: String, retryMs: Int = 10_000) throws(KafkaClusterError) -> Int {
        var waited = 0
        while true {
            do {
                return try partitionCountOnce(topic)
            } catch {
                guard waited < retryMs else { throw error }
                usleep(200_000)
                waited += 200
            }
        }
    }

    private func partitionCountOnce(_ topic: String) throws(KafkaClusterError) -> Int {
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else { throw KafkaClusterError("topic \(topic): invalid name") }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(handle, 0, topicHandle, &metadata, timeoutMs)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaClusterError("metadata of \(topic): \(describe(code))", code: code.rawValue)
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt == 1 else { throw KafkaClusterError("metadata of \(topic): topic missing") }
        let entry = metadata.pointee.topics[0]
        guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaClusterError("topic \(topic): \(describe(entry.err))", code: entry.err.rawValue)
        }
        return Int(entry.partition_cnt)
    }

    /// The log start and end offsets of one partition.
    public func watermarks(_ topic: String, partition: Int32) throws(KafkaClusterError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let code = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, timeoutMs)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaClusterError("offsets of \(topic)/\(partition): \(describe(code))", code: code.rawValue)
        }
        return (low, high)
    }
}
#endif
