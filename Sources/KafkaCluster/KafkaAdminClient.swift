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

    /// The partition count of `topic` when the cluster has it, nil when it has not: from the
    /// metadata of all topics, which never auto-creates one (a request naming the topic could,
    /// on a cluster with `auto.create.topics.enable`).
    public func existingPartitionCount(_ topic: String) throws(KafkaClusterError) -> Int? {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(handle, 1, nil, &metadata, timeoutMs)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaClusterError("metadata of the cluster's topics: \(describe(code))", code: code.rawValue)
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        for index in 0 ..< Int(metadata.pointee.topic_cnt) {
            let entry = metadata.pointee.topics[index]
            guard String(cString: entry.topic) == topic else { continue }
            return entry.err == RD_KAFKA_RESP_ERR_NO_ERROR ? Int(entry.partition_cnt) : nil
        }
        return nil
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

    /// The log start and end offsets of one partition. A cluster moving the partition's leader
    /// or restarting a broker answers with retriable errors for a while: those are asked
    /// again for up to `retryMs`.
    public func watermarks(_ topic: String, partition: Int32, retryMs: Int = 30_000) throws(KafkaClusterError) -> (low: Int64, high: Int64) {
        var waited = 0
        while true {
            var low: Int64 = 0
            var high: Int64 = 0
            let code = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, timeoutMs)
            if code == RD_KAFKA_RESP_ERR_NO_ERROR { return (low, high) }
            guard Self.isRetriable(code), waited < retryMs else {
                throw KafkaClusterError("offsets of \(topic)/\(partition): \(describe(code))", code: code.rawValue)
            }
            // The query goes to the leader the cached metadata names: refresh it first.
            _ = try? partitionCountOnce(topic)
            usleep(100_000)
            waited += 100
        }
    }

    /// Errors of a cluster whose leaders move or whose brokers restart: asked again, they pass.
    static func isRetriable(_ code: rd_kafka_resp_err_t) -> Bool {
        [
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH, RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH, RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
        ].contains(code)
    }
}
#endif
