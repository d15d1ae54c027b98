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
    /// Called once per batch, outside the producer's lock, from the thread that sent it.
    public var onDelivery: (@Sendable (DeliveryReport) -> Void)?

    public init() {}
}

/// Batches records per partition and appends them to the broker, like Kafka's producer.
///
/// `send` is synchronous and cheap: it adds the record to its partition's open batch and
/// appends the batch to the log when it is full; a background task appends batches older than
/// `lingerMs`. Delivery (offsets or error) is reported per batch through `onDelivery`.
/// Records of one partition are appended in `send` order. Thread-safe.
public final class Producer: @unchecked Sendable {
    private struct OpenBatch {
        var builder: RecordBatchBuilder
        var createdAt: Int64
    }

    public let configuration: ProducerConfiguration
    private let broker: Broker
    private let clock: any WallClock
    private let lock = Lock()
    private var partitioner: Partitioner
    private var open: [TopicPartition: OpenBatch] = [:]
    private var partitionCounts: [String: Int] = [:]
    private var lingerTask: Task<Void, Never>?
    private var closed = false

    public init(broker: Broker, configuration: ProducerConfiguration = ProducerConfiguration()) {
        self.broker = broker
        self.configuration = configuration
        self.clock = broker.clock
        partitioner = Partitioner(strategy: configuration.partitioner)
        let linger = max(1, configuration.lingerMs)
        lingerTask = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(linger))
                guard let self else { return }
                self.sendExpired()
            }
        }
    }

    deinit { lingerTask?.cancel() }

    /// Adds a record to its partition's batch. Throws for an unknown topic (when the broker
    /// does not auto-create), an explicit partition that does not exist, or a closed producer;
    /// storage errors of full batches reach `onDelivery` and are also thrown here when this
    /// call sent the batch.
    public func send(_ record: ProducerRecord) throws(BrokerError) {
        var reports: [DeliveryReport] = []
        defer { deliver(reports) }
        try lock.withLock { () throws(BrokerError) in
            guard !closed else { throw BrokerError(.unknownServerError, "producer is closed") }
            let count = try partitionCountLocked(record.topic)
            let partition = record.partition ?? partitioner.partition(
                topic: record.topic, key: record.key, headers: record.headers, partitionCount: count
            )
            guard partition.rawValue >= 0, Int(partition.rawValue) < count else {
                throw BrokerError.unknownPartition(TopicPartition(record.topic, partition), count: count)
            }
            let id = TopicPartition(record.topic, partition)
            let timestamp = record.timestamp ?? clock.milliseconds()
            let size = (record.key?.count ?? 0) + (record.value?.count ?? 0) + record.headers.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) + 4 } + 24
            if let current = open[id], !current.builder.isEmpty, current.builder.sizeInBytes + size > configuration.batchBytes {
                reports.append(sendLocked(id))
            }
            if open[id] == nil {
                open[id] = OpenBatch(
                    builder: RecordBatchBuilder(baseTimestamp: timestamp, capacity: configuration.batchBytes + 512),
                    createdAt: clock.milliseconds()
                )
            }
            open[id]!.builder.append(key: record.key, value: record.value, headers: record.headers, timestamp: timestamp)
            if open[id]!.builder.sizeInBytes >= configuration.batchBytes {
                reports.append(sendLocked(id))
            }
        }
        if let failed = reports.first(where: { $0.error != nil })?.error { throw failed }
    }

    private func partitionCountLocked(_ topic: String) throws(BrokerError) -> Int {
        if let count = partitionCounts[topic] { return count }
        let count = try broker.topicCreatingIfAllowed(topic).partitionCount
        partitionCounts[topic] = count
        return count
    }

    /// Appends the open batch of `id` to the broker.
    private func sendLocked(_ id: TopicPartition) -> DeliveryReport {
        guard let batch = open.removeValue(forKey: id) else {
            return DeliveryReport(topicPartition: id, baseOffset: nil, recordCount: 0, error: nil)
        }
        let count = Int(batch.builder.recordCount)
        partitioner.batchCompleted(topic: id.topic, partition: id.partition, partitionCount: partitionCounts[id.topic] ?? 1)
        do {
            let result = try broker.append(batch.builder.build(), to: id)
            return DeliveryReport(topicPartition: id, baseOffset: result.baseOffset, recordCount: count, error: nil)
        } catch {
            return DeliveryReport(topicPartition: id, baseOffset: nil, recordCount: count, error: error)
        }
    }

    private func deliver(_ reports: [DeliveryReport]) {
        guard let onDelivery = configuration.onDelivery else { return }
        for report in reports where report.recordCount > 0 { onDelivery(report) }
    }

    private func sendExpired() {
        let now = clock.milliseconds()
        let reports: [DeliveryReport] = lock.withLock {
            open.filter { now - $0.value.createdAt >= configuration.lingerMs }.keys.sorted().map { sendLocked($0) }
        }
        deliver(reports)
    }

    /// Appends every open batch now. Throws the first storage error, after trying them all.
    public func flush() throws(BrokerError) {
        let reports: [DeliveryReport] = lock.withLock { open.keys.sorted().map { sendLocked($0) } }
        deliver(reports)
        if let failed = reports.first(where: { $0.error != nil })?.error { throw failed }
    }

    /// Flushes and stops the linger task; later sends fail.
    public func close() throws(BrokerError) {
        lingerTask?.cancel()
        try flush()
        lock.withLock { closed = true }
    }
}
