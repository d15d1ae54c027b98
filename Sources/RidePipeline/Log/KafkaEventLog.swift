import Foundation
import KafkaCluster
import Synchronization

/// The pipeline's log on a Kafka cluster (Apache Kafka, Redpanda, `ridestream broker serve`),
/// through librdkafka. Only with the KafkaCluster build trait; without it, choosing this mode
/// fails with a message saying how to enable it.
public enum KafkaEventLog {
    public static func open(_ settings: KafkaSettings) throws -> any EventLog {
        #if KafkaCluster
        return try KafkaClusterLog(settings: settings)
        #else
        throw SinkError(
            "broker.mode kafka (--bootstrap) needs cluster mode, which this build leaves out: "
                + "apt-get install librdkafka-dev, then build with --traits KafkaCluster"
        )
        #endif
    }
}

#if KafkaCluster
/// `EventLog` over the librdkafka clients of the KafkaCluster module.
final class KafkaClusterLog: EventLog {
    let settings: KafkaSettings
    let admin: KafkaAdminClient

    init(settings: KafkaSettings) throws {
        self.settings = settings
        admin = try KafkaAdminClient(settings: settings)
    }

    var name: String { "the Kafka cluster at \(settings.bootstrapServers)" }

    func prepareTopic(_ topic: String, partitions: Int, replicationFactor: Int) async throws -> Int {
        try admin.createTopic(topic, partitions: Int32(partitions), replicationFactor: Int32(replicationFactor))
        return try admin.partitionCount(topic)
    }

    func bounds(_ topic: String, partition: Int) async throws -> (start: Int64, end: Int64) {
        let marks = try admin.watermarks(topic, partition: Int32(partition))
        return (marks.low, marks.high)
    }

    func makeProducer(_ settings: EventProducerSettings) throws -> any EventProducer {
        let client = try KafkaProducerClient(settings: self.settings, properties: [
            "linger.ms": String(settings.lingerMs), "batch.size": String(settings.batchBytes),
        ])
        return KafkaEventProducer(client: client, topic: settings.topic)
    }

    func makeConsumer(_ settings: EventConsumerSettings, listener: EventRebalanceListener) throws -> any EventConsumer {
        try KafkaEventConsumer(cluster: self.settings, settings: settings, listener: listener)
    }

    /// A Kafka client sees only its own assignment; the group's generation is the cluster's.
    func describeGroup(_ group: String) async -> GroupSnapshot? { nil }

    func forEachStoredValue(_ topic: String, _ body: (ArraySlice<UInt8>) -> Void) async throws {
        throw SinkError("--resume reads the built-in broker's log; on a Kafka cluster, restart the role commands instead (`ridestream produce`, `ridestream consume`)")
    }

    func close() async throws {}
}

final class KafkaEventProducer: EventProducer {
    let client: KafkaProducerClient
    let topic: String

    init(client: KafkaProducerClient, topic: String) {
        self.client = client
        self.topic = topic
    }

    func send(partition: Int, key: [UInt8], value: [UInt8], headers: [(String, [UInt8])], timestamp: Int64) throws {
        try client.send(topic: topic, partition: Int32(partition), key: key, value: value, headers: headers, timestamp: timestamp)
    }

    func close() throws { try client.flush() }
}

/// A librdkafka group consumer behind the pipeline's `EventConsumer`. librdkafka's poll
/// blocks, and runs the rebalance callbacks, so it runs on a serial dispatch queue of its own,
/// never on a thread of Swift's concurrency pool; the callbacks wait there for the pipeline's
/// async listener.
final class KafkaEventConsumer: EventConsumer, @unchecked Sendable {
    private let client: KafkaConsumerClient
    private let queue: DispatchQueue
    private let topic: String
    private let state = MemberState()

    /// The assignment as the rebalance callbacks last set it.
    final class MemberState: Sendable {
        let value = Mutex<(assignment: [Int], rebalances: Int)>(([], 0))
    }

    init(cluster: KafkaSettings, settings: EventConsumerSettings, listener: EventRebalanceListener) throws {
        let state = state
        topic = settings.topic
        queue = DispatchQueue(label: "ridestream.kafka-consumer.\(settings.clientID)")
        let topic = settings.topic
        let bridge = KafkaRebalanceListener(
            onAssigned: { partitions in
                let ids = partitions.map { Int($0.partition) }.sorted()
                let starts = waitFor { await listener.onAssigned(ids) }
                state.value.withLock { state in
                    state.assignment = ids
                    state.rebalances += 1
                }
                var positions: [KafkaTopicPartition: Int64] = [:]
                for (partition, offset) in starts { positions[KafkaTopicPartition(topic, Int32(partition))] = offset }
                return positions
            },
            onRevoked: { partitions in
                let ids = partitions.map { Int($0.partition) }.sorted()
                waitFor { await listener.onRevoked(ids) }
                state.value.withLock { $0.assignment = [] }
            }
        )
        // Kafka refuses sessions under its group.min.session.timeout.ms (6 s by default).
        client = try KafkaConsumerClient(
            settings: cluster, groupID: settings.group, clientID: settings.clientID, topics: [settings.topic],
            properties: [
                "session.timeout.ms": String(max(6000, settings.sessionTimeoutMs)),
                "heartbeat.interval.ms": String(max(100, settings.heartbeatIntervalMs)),
                "fetch.wait.max.ms": String(settings.fetchMaxWaitMs),
                "partition.assignment.strategy": settings.assignor == "roundrobin" ? "roundrobin" : "range",
            ],
            listener: bridge
        )
    }

    func poll() async throws -> [EventBatch] {
        let client = client
        let messages: [KafkaMessage] = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: try client.poll(maxMessages: 5000, timeoutMs: 100))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        var order: [Int] = []
        var byPartition: [Int: EventBatch] = [:]
        for message in messages {
            let partition = Int(message.topicPartition.partition)
            if byPartition[partition] == nil {
                order.append(partition)
                byPartition[partition] = EventBatch(partition: partition, offsets: [], values: [], nextOffset: message.offset)
            }
            byPartition[partition]!.offsets.append(message.offset)
            byPartition[partition]!.values.append(message.value[...])
            byPartition[partition]!.nextOffset = message.offset + 1
        }
        return order.map { byPartition[$0]! }
    }

    func assignment() async -> [Int] { state.value.withLock { $0.assignment } }
    func rebalances() async -> Int { state.value.withLock { $0.rebalances } }
    func isLeader() async -> Bool { false }

    func seek(partition: Int, to offset: Int64) async throws {
        try client.seek(KafkaTopicPartition(topic, Int32(partition)), to: offset)
    }

    func commit(_ offsets: [Int: Int64]) async {
        var positions: [KafkaTopicPartition: Int64] = [:]
        for (partition, offset) in offsets { positions[KafkaTopicPartition(topic, Int32(partition))] = offset }
        try? client.commit(positions, wait: false)
    }

    func close() async { await onQueue { $0.close() } }
    func abandon() async { await onQueue { $0.abandon() } }

    /// Runs `work` on the polling queue, after any poll in progress.
    private func onQueue(_ work: @escaping @Sendable (KafkaConsumerClient) -> Void) async {
        let client = client
        await withCheckedContinuation { continuation in
            queue.async {
                work(client)
                continuation.resume()
            }
        }
    }
}

/// Waits, on a thread outside Swift's concurrency pool, for async work to finish.
private func waitFor<Value: Sendable>(_ work: @escaping @Sendable () async -> Value) -> Value {
    let semaphore = DispatchSemaphore(value: 0)
    let result = Mutex<Value?>(nil)
    Task {
        let value = await work()
        result.withLock { $0 = value }
        semaphore.signal()
    }
    semaphore.wait()
    return result.withLock { $0! }
}
#endif
