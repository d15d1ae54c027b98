import CPUTime
import KafkaWire
import LogStore

/// A record to produce.
public struct ProducerRecord: Sendable {
    public var topic: String
    /// An explicit partition; nil lets the producer's `PartitionStrategy` choose.
    public var partition: PartitionID?
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]
    /// Milliseconds since the epoch; nil stamps the send time.
    public var timestamp: Int64?

    public init(
        topic: String, partition: PartitionID? = nil, key: [UInt8]? = nil, value: [UInt8]?,
        headers: [RecordHeader] = [], timestamp: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}

/// The outcome of one batch: where its records went, or why they were not stored.
public struct DeliveryReport: Sendable {
    public var topicPartition: TopicPartition
    /// The first record's offset; its records have consecutive offsets. Nil on error.
    public var baseOffset: Offset?
    public var recordCount: Int
    public var error: BrokerError?
}

/// Producer settings; defaults follow Kafka's producer unless noted.
public struct ProducerConfiguration: Sendable {
    /// Close a partition's batch once it reaches this size (Kafka `batch.size`, 16384).
    public var batchBytes = 16_384
    /// Send a partly filled batch once it is this old (Kafka `linger.ms`, 5).
    public var lingerMs: Int64 = 5
    public var partitioner: PartitionStrategy = .murmur2()
    /// Most bytes of closed batches waiting for the sender thread; `send` suspends beyond it.
    /// Kafka's `buffer.memory` is 32 MiB, sized for network round trips; the in-process sender
    /// only waits for local writes, so 4 MiB keeps it busy with far less memory.
    public var maxQueuedBytes = 4 << 20
    /// Called once per batch, on the producer's sender thread, after the batch was stored or
    /// refused.
    public var onDelivery: (@Sendable (DeliveryReport) -> Void)?
    /// Where the sender thread charges the CPU time of finishing and appending batches
    /// (`Stage.append`), if anywhere.
    public var stages: StageTimes?

    public init() {}
}

/// Batches records per partition and appends them to the broker, like Kafka's producer.
///
/// `send` is cheap: it adds the record to its partition's open batch, on the caller's own
/// executor (`nonisolated(nonsending)`: no hop to another thread), and suspends only when the
/// sender's queue is full (back-pressure never blocks a thread). A full batch, or one older
/// than `lingerMs`, goes to the sender thread (`BatchSender`), which appends it to the log
/// while callers keep batching. Delivery (offsets or error) is reported per batch through
/// `onDelivery`; `flush()` waits for every batch sent so far and throws the first storage
/// error among them. Records of one partition are stored in `send` order. Thread-safe.
public final class Producer: @unchecked Sendable {
    private struct OpenBatch {
        var builder: RecordBatchBuilder
        var createdAt: Int64
    }

    /// One topic's open batches, indexed by partition. A class so that the hot path mutates
    /// batches in place after one lookup (or none, when the topic repeats).
    private final class TopicBatches {
        let topic: String
        let partitionCount: Int
        var batches: [OpenBatch?]
        var openCount = 0

        init(topic: String, partitionCount: Int) {
            self.topic = topic
            self.partitionCount = partitionCount
            batches = Array(repeating: nil, count: partitionCount)
        }
    }

    public let configuration: ProducerConfiguration
    private let broker: Broker
    private let clock: any WallClock
    private let lock = Lock()
    private var partitioner: Partitioner
    private var topics: [String: TopicBatches] = [:]
    private var lastTopic: TopicBatches?
    private var lingerTask: Task<Void, Never>?
    @usableFromInline let sender: BatchSender
    private var closed = false

    public init(broker: Broker, configuration: ProducerConfiguration = ProducerConfiguration()) {
        self.broker = broker
        self.configuration = configuration
        self.clock = broker.clock
        partitioner = Partitioner(strategy: configuration.partitioner)
        sender = BatchSender(
            broker: broker, maxQueuedBytes: configuration.maxQueuedBytes, onDelivery: configuration.onDelivery, stages: configuration.stages
        )
        let linger = max(1, configuration.lingerMs)
        lingerTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(linger))
                guard let self else { return }
                self.sendExpired()
            }
        }
    }

    deinit {
        lingerTask?.cancel()
        lock.withLock { if !closed { sendLocked { _ in true } } }
        sender.stopThread()
    }

    /// Adds a record to its partition's batch. Throws for an unknown topic (when the broker
    /// does not auto-create), an explicit partition that does not exist, or a closed producer,
    /// and, once any batch has failed, that failure: a producer whose batch was lost stops
    /// rather than store later records behind the gap. Storage errors also reach
    /// `onDelivery` and the next `flush()`. Suspends while the sender's queue holds
    /// `maxQueuedBytes`.
    ///
    /// Inlinable: a caller's async call per record would cost a large part of the record
    /// itself (tens of nanoseconds against a few hundred); inlined, only the synchronous add
    /// remains a call.
    @inlinable
    nonisolated(nonsending) public func send(_ record: ProducerRecord) async throws(BrokerError) {
        let room = try add(record)
        if !room { await sender.waitForRoom() }
    }

    /// Adds a record under the lock; returns false when the sender's queue is full.
    @usableFromInline func add(_ record: ProducerRecord) throws(BrokerError) -> Bool {
        try lock.withLock { () throws(BrokerError) in
            guard !closed else { throw BrokerError(.unknownServerError, "producer is closed") }
            if let failure = sender.failure { throw failure }
            let state = try batchesLocked(record.topic)
            let partition = record.partition ?? partitioner.partition(
                topic: record.topic, key: record.key, headers: record.headers, partitionCount: state.partitionCount
            )
            guard partition.rawValue >= 0, Int(partition.rawValue) < state.partitionCount else {
                throw BrokerError.unknownPartition(TopicPartition(record.topic, partition), count: state.partitionCount)
            }
            let index = Int(partition.rawValue)
            let size = (record.key?.count ?? 0) + (record.value?.count ?? 0) + 24
                + record.headers.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) + 4 }
            var room = true
            if let current = state.batches[index], current.builder.sizeInBytes + size > configuration.batchBytes {
                room = sendLocked(state, index)
            }
            let timestamp = record.timestamp ?? clock.milliseconds()
            if state.batches[index] == nil {
                state.batches[index] = OpenBatch(
                    builder: RecordBatchBuilder(baseTimestamp: timestamp, capacity: configuration.batchBytes + 512),
                    createdAt: clock.milliseconds()
                )
                state.openCount += 1
            }
            state.batches[index]!.builder.append(key: record.key, value: record.value, headers: record.headers, timestamp: timestamp)
            if state.batches[index]!.builder.sizeInBytes >= configuration.batchBytes {
                room = sendLocked(state, index) && room
            }
            return room
        }
    }

    /// The open batches of a topic, learning its partition count on first use.
    private func batchesLocked(_ topic: String) throws(BrokerError) -> TopicBatches {
        if let last = lastTopic, last.topic == topic { return last }
        if let known = topics[topic] {
            lastTopic = known
            return known
        }
        let state = TopicBatches(topic: topic, partitionCount: try broker.topicCreatingIfAllowed(topic).partitionCount)
        topics[topic] = state
        lastTopic = state
        return state
    }

    /// Hands the open batch of one partition to the sender thread; returns false when its
    /// queue is now full.
    @discardableResult
    private func sendLocked(_ state: TopicBatches, _ index: Int) -> Bool {
        guard let batch = state.batches[index] else { return true }
        state.batches[index] = nil
        state.openCount -= 1
        let id = TopicPartition(state.topic, PartitionID(index))
        partitioner.batchCompleted(topic: state.topic, partition: id.partition, partitionCount: state.partitionCount)
        return sender.enqueue(BatchSender.Job(partition: id, builder: batch.builder))
    }

    /// Sends the open batches chosen by `include` (given each batch's creation time).
    private func sendLocked(where include: (Int64) -> Bool) {
        for state in topics.values.sorted(by: { $0.topic < $1.topic }) where state.openCount > 0 {
            for index in state.batches.indices {
                if let batch = state.batches[index], include(batch.createdAt) { sendLocked(state, index) }
            }
        }
    }

    private func sendExpired() {
        let now = clock.milliseconds()
        lock.withLock { sendLocked { now - $0 >= configuration.lingerMs } }
    }

    /// Sends every open batch and waits until all batches sent so far are stored. Throws the
    /// first storage error since the previous flush.
    public func flush() async throws(BrokerError) {
        lock.withLock { sendLocked { _ in true } }
        if let error = await sender.drain() { throw error }
    }

    /// Flushes and stops the linger task; later sends fail.
    public func close() async throws(BrokerError) {
        lingerTask?.cancel()
        let wasOpen = lock.withLock {
            defer { closed = true }
            if !closed { sendLocked { _ in true } }
            return !closed
        }
        guard wasOpen else { return }
        if let error = await sender.stop() { throw error }
    }
}
