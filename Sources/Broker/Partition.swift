import KafkaWire
import LogStore
import Logging

/// One partition of a topic: its log, its idempotent producers and the fetches waiting for its
/// next append.
final class Partition: @unchecked Sendable {
    let id: TopicPartition
    let log: PartitionLog
    private let lock = Lock()
    private var waiters: [ObjectIdentifier: AppendWaiter] = [:]
    private let sequenceLock = Lock()
    private var sequences: ProducerSequences
    private var bytesSinceSnapshot = 0
    private let stateFile: ProducerStateFile
    private let producerIDs: ProducerIDAllocator
    private let logger: Logger

    /// Opens the partition over `log`, restoring its idempotent producers (`ProducerStateFile`).
    init(id: TopicPartition, log: PartitionLog, producerIDs: ProducerIDAllocator, logger: Logger) throws(LogError) {
        self.id = id
        self.log = log
        self.producerIDs = producerIDs
        self.logger = logger
        stateFile = ProducerStateFile(partitionDirectory: log.directory)
        sequences = try stateFile.load(log: log, issued: producerIDs.issued, logger: logger)
    }

    /// Appends one batch. Batches of idempotent producers (ids this broker issued) go through
    /// the partition's `ProducerSequences` first, under one lock with the append, so a retry
    /// racing its original is still recognised; their checksum is verified before that, so a
    /// corrupt retry is refused rather than taken for a duplicate.
    func append(_ batch: consuming [UInt8], verifyChecksum: Bool = true) throws(BrokerError) -> AppendResult {
        let bytes = batch
        let header = try? bytes.withRawBytes { (raw) throws(WireError) in try RecordBatchHeader.parse(raw) }
        guard let header, ProducerSequences.isIdempotent(header), producerIDs.issued(header.producerId) else {
            return try appendToLog(consume bytes, verifyChecksum: verifyChecksum)
        }
        if verifyChecksum {
            do {
                _ = try bytes.withRawBytes { (raw) throws(WireError) in try RecordBatch.validate(raw) }
            } catch {
                throw BrokerError(.corruptMessage, "\(id): rejected batch: \(error)")
            }
        }
        return try sequenceLock.withLock { () throws(BrokerError) in
            switch try sequences.check(header, partition: id) {
            case let .duplicate(earlier):
                return earlier
            case .append:
                let size = bytes.count
                let result = try appendToLog(bytes, verifyChecksum: false)
                sequences.record(header, result: result)
                bytesSinceSnapshot += size
                if bytesSinceSnapshot >= ProducerStateFile.snapshotIntervalBytes { saveProducerStateLocked() }
                return result
            }
        }
    }

    /// Saves the producer state and closes the log cleanly.
    func close() throws(LogError) {
        sequenceLock.withLock { saveProducerStateLocked() }
        try log.close()
    }

    /// Writes the producer state as of the log end. A failure (a full disk) is logged, not
    /// thrown: the state is rebuilt from the log on the next open.
    private func saveProducerStateLocked() {
        bytesSinceSnapshot = 0
        do {
            try stateFile.save(sequences, covering: log.logEndOffset)
        } catch {
            logger.warning("cannot save producer state", metadata: ["partition": "\(id)", "reason": "\(error)"])
        }
    }

    private func appendToLog(_ batch: consuming [UInt8], verifyChecksum: Bool) throws(BrokerError) -> AppendResult {
        let result: AppendResult
        do {
            result = try log.append(batch, verifyChecksum: verifyChecksum)
        } catch {
            throw BrokerError(error, topicPartition: id)
        }
        let woken = lock.withLock {
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for waiter in woken { waiter.fire() }
        return result
    }

    func register(_ waiter: AppendWaiter) { lock.withLock { waiters[ObjectIdentifier(waiter)] = waiter } }
    func unregister(_ waiter: AppendWaiter) { lock.withLock { _ = waiters.removeValue(forKey: ObjectIdentifier(waiter)) } }
}

/// A topic: its name, settings and partitions.
final class Topic: @unchecked Sendable {
    let name: String
    let directory: String
    private let lock = Lock()
    private var _configuration: TopicConfiguration
    private var _partitions: [Partition]

    init(name: String, directory: String, configuration: TopicConfiguration, partitions: [Partition]) {
        self.name = name
        self.directory = directory
        _configuration = configuration
        _partitions = partitions
    }

    var configuration: TopicConfiguration { lock.withLock { _configuration } }
    var partitions: [Partition] { lock.withLock { _partitions } }
    var partitionCount: Int { lock.withLock { _partitions.count } }

    func partition(_ id: PartitionID) throws(BrokerError) -> Partition {
        try lock.withLock { () throws(BrokerError) in
            guard id.rawValue >= 0, Int(id.rawValue) < _partitions.count else {
                throw BrokerError.unknownPartition(TopicPartition(name, id), count: _partitions.count)
            }
            return _partitions[Int(id.rawValue)]
        }
    }

    func addPartitions(_ added: [Partition], configuration: TopicConfiguration) {
        lock.withLock {
            _partitions += added
            _configuration = configuration
        }
    }
}
