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
    /// Guards the producer state and its file; taken before the log's lock, never inside it.
    private let sequenceLock = Lock()
    private var sequences: ProducerSequences
    private var bytesSinceSnapshot = 0
    /// The active segment when the state was last saved: a roll triggers a new snapshot, so
    /// that a replay after a crash reads about one segment at most.
    private var snapshotSegment: Offset
    private var closed = false
    private let stateFile: ProducerStateFile
    private let producerIDs: ProducerIDAllocator
    private let logger: Logger

    /// Opens the partition over `log`, restoring its idempotent producers (`ProducerStateFile`).
    init(id: TopicPartition, log: PartitionLog, producerIDs: ProducerIDAllocator, logger: Logger) {
        self.id = id
        self.log = log
        self.producerIDs = producerIDs
        self.logger = logger
        stateFile = ProducerStateFile(partitionDirectory: log.directory)
        let (sequences, stale) = stateFile.load(log: log, issued: producerIDs.issued, logger: logger)
        self.sequences = sequences
        snapshotSegment = log.activeSegmentBaseOffset
        if stale { sequenceLock.withLock { saveProducerStateLocked() } }
    }

    /// Appends one batch. Batches of idempotent producers (ids this data directory issued) go
    /// through the partition's `ProducerSequences` first, under one lock with the append, so a
    /// retry racing its original is still recognised; their checksum is verified before that,
    /// so a corrupt retry is refused rather than taken for a duplicate.
    func append(_ batch: consuming [UInt8], verifyChecksum: Bool = true) throws(BrokerError) -> AppendResult {
        let bytes = batch
        let header = try? bytes.withRawBytes { (raw) throws(WireError) in try RecordBatchHeader.parse(raw) }
        guard let header, ProducerSequences.isIdempotent(header), producerIDs.issued(header.producerId) else {
            let result = try appendToLog(consume bytes, verifyChecksum: verifyChecksum)
            if log.activeSegmentBaseOffset != sequenceLock.withLock({ snapshotSegment }) {
                sequenceLock.withLock { saveProducerStateLocked(onlyAfterARoll: true) }
            }
            return result
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
                saveProducerStateLocked(onlyAfterARoll: bytesSinceSnapshot < ProducerStateFile.snapshotIntervalBytes)
                return result
            }
        }
    }

    /// Saves the producer state and closes the log cleanly.
    func close() throws(LogError) {
        sequenceLock.withLock {
            saveProducerStateLocked()
            closed = true
        }
        try log.close()
    }

    /// Closes the log of a deleted topic: nothing is saved any more, so a late append cannot
    /// write state into a directory a new topic of the same name may be using.
    func discard() {
        sequenceLock.withLock { closed = true }
        try? log.close()
    }

    /// Writes the producer state as of the log end (with `onlyAfterARoll`, only if the log
    /// rolled since the last save). A failure (a full disk) is logged, not thrown: the state is
    /// rebuilt from the log on the next open.
    private func saveProducerStateLocked(onlyAfterARoll: Bool = false) {
        let active = log.activeSegmentBaseOffset
        guard !closed, !onlyAfterARoll || active != snapshotSegment else { return }
        bytesSinceSnapshot = 0
        snapshotSegment = active
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
