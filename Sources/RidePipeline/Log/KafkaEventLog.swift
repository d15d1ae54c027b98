import Foundation
import KafkaCluster
import KafkaWire
import Synchronization

/// The pipeline's log on a Kafka cluster (Apache Kafka, Redpanda, `ridestream broker serve`),
/// through librdkafka. Only with the KafkaCluster build trait; without it, choosing this mode
/// fails with a message saying how to enable it.
public enum KafkaEventLog {
    public static func open(_ settings: KafkaSettings) throws(PipelineError) -> any EventLog {
        #if KafkaCluster
        do { return try KafkaClusterLog(settings: settings) } catch { throw .cluster(error) }
        #else
        throw .clusterModeUnavailable
        #endif
    }
}

#if KafkaCluster
/// `EventLog` over the librdkafka clients of the KafkaCluster module.
final class KafkaClusterLog: EventLog {
    let settings: KafkaSettings
    let admin: KafkaAdminClient

    init(settings: KafkaSettings) throws(KafkaClusterError) {
        self.settings = settings
        admin = try KafkaAdminClient(settings: settings)
    }

    var name: String { "the Kafka cluster at \(settings.bootstrapServers)" }

    /// Admin calls block (librdkafka waits for the cluster's answer): they run on a queue of
    /// their own, never on a thread of the concurrency pool.
    private let adminQueue = DispatchQueue(label: "ridestream.kafka-admin")

    private func onAdminQueue<Result: Sendable>(_ work: @escaping @Sendable (KafkaAdminClient) throws(KafkaClusterError) -> Result) async throws(PipelineError) -> Result {
        let admin = admin
        return try await blocking(on: adminQueue) { () throws(KafkaClusterError) in try work(admin) }
    }

    func prepareTopic(_ topic: String, partitions: Int, replicationFactor: Int) async throws(PipelineError) -> Int {
        try await onAdminQueue { (admin) throws(KafkaClusterError) in
            // A topic the cluster already has is used as it is (it may have been made by an
            // operator, with no right to create topics given to this client).
            if let existing = try admin.existingPartitionCount(topic) { return existing }
            // The cluster's own settings apply (retention among them): records carry the
            // simulated event time (CreateTime), as on the built-in broker.
            _ = try admin.createTopic(topic, partitions: Int32(partitions), replicationFactor: Int32(replicationFactor))
            return try admin.partitionCount(topic)
        }
    }

    func bounds(_ topic: String, partition: PartitionID) async throws(PipelineError) -> LogBounds {
        try await onAdminQueue { (admin) throws(KafkaClusterError) in
            let marks = try admin.watermarks(topic, partition: partition.rawValue)
            return LogBounds(start: Offset(marks.low), end: Offset(marks.high))
        }
    }

    func makeProducer(_ settings: EventProducerSettings) throws(PipelineError) -> any EventProducer {
        do {
            let client = try KafkaProducerClient(settings: self.settings, properties: [
                "linger.ms": String(settings.lingerMs), "batch.size": String(settings.batchBytes),
            ])
            return KafkaEventProducer(client: client, topic: settings.topic)
        } catch {
            throw .cluster(error)
        }
    }

    func makeConsumer(_ settings: EventConsumerSettings, listener: EventRebalanceListener) throws(PipelineError) -> any EventConsumer {
        do { return try KafkaEventConsumer(cluster: self.settings, settings: settings, listener: listener) } catch { throw .cluster(error) }
    }

    /// A Kafka client sees only its own assignment; the group's generation is the cluster's.
    func describeGroup(_ group: String) async -> GroupSnapshot? { nil }

    func committedOffsets(_ group: String, topic: String) async -> [PartitionID: Offset]? { nil }

    func forEachStoredRecord(
        _ topic: String, partition: PartitionID, _ body: (Offset, ArraySlice<UInt8>?, ArraySlice<UInt8>?) -> Void
    ) async throws(PipelineError) {
        throw .resumeNeedsBuiltInBroker
    }

    func close() async throws(PipelineError) {}
}

/// librdkafka's producer behind the pipeline's `EventProducer`. Sending never blocks the
/// caller's thread: a full librdkafka queue is waited out on a queue of its own.
final class KafkaEventProducer: EventProducer {
    let client: KafkaProducerClient
    let topic: String
    private let waiting = DispatchQueue(label: "ridestream.kafka-producer")

    init(client: KafkaProducerClient, topic: String) {
        self.client = client
        self.topic = topic
    }

    nonisolated(nonsending) func send(
        partition: PartitionID, key: [UInt8], value: [UInt8], headers: [RecordHeader], timestamp: Int64
    ) async throws(PipelineError) {
        let client = client
        let headers = headers.map { ($0.key, $0.value ?? []) }
        while true {
            let sent: Bool
            do { sent = try client.trySend(topic: topic, partition: partition.rawValue, key: key, value: value, headers: headers, timestamp: timestamp) } catch {
                throw .cluster(error)
            }
            if sent { return }
            try await blocking(on: waiting) { client.waitForRoom() }
        }
    }

    func close() async throws(PipelineError) {
        let client = client
        try await blocking(on: waiting) { () throws(KafkaClusterError) in try client.flush() }
    }
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

    /// The assignment as the rebalance callbacks last set it, and the rounds they made.
    final class MemberState: Sendable {
        struct Value {
            var assignment: [PartitionID] = []
            var rebalances = 0
            var rounds: [MemberRound] = []

            /// librdkafka's callbacks come one per change (a cooperative round may revoke
            /// without assigning): each is a row of its own, at most 64 waiting.
            mutating func record(_ round: MemberRound) {
                rounds.append(round)
                if rounds.count > 64 { rounds.removeFirst() }
                rebalances += 1
            }
        }
        let value = Mutex(Value())
    }

    init(cluster: KafkaSettings, settings: EventConsumerSettings, listener: EventRebalanceListener) throws(KafkaClusterError) {
        let state = state
        topic = settings.topic
        queue = DispatchQueue(label: "ridestream.kafka-consumer.\(settings.clientID)")
        let topic = settings.topic
        // The callbacks get what changed (everything, eagerly): the assignment follows both,
        // and each is recorded as a round (librdkafka tells no generation).
        let bridge = KafkaRebalanceListener(
            onAssigned: { partitions in
                let ids = partitions.map { PartitionID($0.partition) }.sorted()
                let starts = waitFor { await listener.onAssigned(ids) }
                state.value.withLock { state in
                    state.assignment = Array(Set(state.assignment).union(ids)).sorted()
                    state.record(MemberRound(generation: nil, revoked: [], assigned: ids, owned: state.assignment))
                }
                var positions: [KafkaTopicPartition: Int64] = [:]
                for (partition, start) in starts {
                    switch start {
                    case let .offset(offset): positions[KafkaTopicPartition(topic, partition.rawValue)] = offset.rawValue
                    case .logStart: positions[KafkaTopicPartition(topic, partition.rawValue)] = KafkaTopicPartition.beginning
                    }
                }
                return positions
            },
            onRevoked: { partitions in
                let ids = partitions.map { PartitionID($0.partition) }.sorted()
                waitFor { await listener.onRevoked(ids) }
                state.value.withLock { state in
                    state.assignment.removeAll { ids.contains($0) }
                    state.record(MemberRound(generation: nil, revoked: ids, assigned: [], owned: state.assignment))
                }
            }
        )
        // Kafka refuses sessions under its group.min.session.timeout.ms (6 s by default).
        client = try KafkaConsumerClient(
            settings: cluster, groupID: settings.group, clientID: settings.clientID, topics: [settings.topic],
            properties: [
                "session.timeout.ms": String(max(6000, settings.sessionTimeoutMs)),
                "heartbeat.interval.ms": String(max(100, settings.heartbeatIntervalMs)),
                "fetch.wait.max.ms": String(settings.fetchMaxWaitMs),
                "partition.assignment.strategy": Self.strategy(settings.assignor),
            ],
            listener: bridge
        )
    }

    func poll() async throws(PipelineError) -> [EventBatch] {
        let client = client
        let messages = try await blocking(on: queue) { () throws(KafkaClusterError) in try client.poll(maxMessages: 5000, timeoutMs: 100) }
        var order: [PartitionID] = []
        var byPartition: [PartitionID: EventBatch] = [:]
        for message in messages {
            let partition = PartitionID(message.topicPartition.partition)
            if byPartition[partition] == nil {
                order.append(partition)
                byPartition[partition] = EventBatch(partition: partition, offsets: [], values: [], nextOffset: Offset(message.offset))
            }
            byPartition[partition]!.offsets.append(Offset(message.offset))
            byPartition[partition]!.values.append(message.value[...])
            byPartition[partition]!.nextOffset = Offset(message.offset + 1)
        }
        return order.map { byPartition[$0]! }
    }

    func assignment() async -> [PartitionID] { state.value.withLock { $0.assignment } }
    func rebalances() async -> Int { state.value.withLock { $0.rebalances } }
    func takeLedGenerations() async -> [GroupSnapshot] { [] }
    func takeRounds() async -> [MemberRound] {
        state.value.withLock { state in
            defer { state.rounds = [] }
            return state.rounds
        }
    }

    /// librdkafka's name for an assignor: it has range, roundrobin and cooperative-sticky;
    /// its nearest to the eager "sticky" is range (which keeps a stable group's assignment).
    static func strategy(_ assignor: String) -> String {
        ["roundrobin", "cooperative-sticky"].contains(assignor) ? assignor : "range"
    }

    /// librdkafka's seek waits for the consumer's fetcher: on the polling queue, not the pool.
    func seek(partition: PartitionID, to offset: Offset) async throws(PipelineError) {
        let (client, target) = (client, KafkaTopicPartition(topic, partition.rawValue))
        try await blocking(on: queue) { () throws(KafkaClusterError) in try client.seek(target, to: offset.rawValue) }
    }

    /// Asynchronous on librdkafka's side (`wait: false`): a refusal is reported by the next
    /// commit's callback, not here.
    func commit(_ offsets: [PartitionID: Offset]) async throws(PipelineError) {
        var positions: [KafkaTopicPartition: Int64] = [:]
        for (partition, offset) in offsets { positions[KafkaTopicPartition(topic, partition.rawValue)] = offset.rawValue }
        do { try client.commit(positions, wait: false) } catch { throw .cluster(error) }
    }

    /// On the polling queue, after any poll in progress.
    func close() async {
        let client = client
        try? await blocking(on: queue) { client.close() }  // cannot throw
    }

    func abandon() async {
        let client = client
        try? await blocking(on: queue) { client.abandon() }  // cannot throw
    }
}

/// Runs a blocking librdkafka call on `queue` (after the work queued there before it) while
/// the caller suspends, never on a thread of the concurrency pool.
private func blocking<Value: Sendable>(
    on queue: DispatchQueue, _ work: @escaping @Sendable () throws(KafkaClusterError) -> Value
) async throws(PipelineError) -> Value {
    let outcome: Result<Value, KafkaClusterError> = await withCheckedContinuation { continuation in
        queue.async {
            do throws(KafkaClusterError) {
                continuation.resume(returning: .success(try work()))
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
    do { return try outcome.get() } catch { throw .cluster(error) }
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
