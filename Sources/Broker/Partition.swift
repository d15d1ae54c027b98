import KafkaWire
import LogStore
import Logging
import Synchronization

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
    /// The active segment's base offset when the state was last saved. A roll makes them
    /// differ, and the next append saves the state (read without the lock on the path of
    /// plain batches, so they only take `sequenceLock` after a roll).
    private let savedSegment: Atomic<Int64>
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
        let (sequences, needsSave) = stateFile.load(log: log, issued: producerIDs.issued, logger: logger)
        self.sequences = sequences
        let active = log.activeSegmentBaseOffset
        savedSegment = Atomic(active.rawValue)
        if needsSave && !log.readOnly { save(covering: active) }
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
            if log.activeSegmentBaseOffset.rawValue != savedSegment.load(ordering: .relaxed) {
                sequenceLock.withLock { saveAfterRollLocked() }
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
                let result = try appendToLog(bytes, verifyChecksum: false)
                sequences.record(header, result: result)
                saveAfterRollLocked()
                return result
            }
        }
    }

    /// Closes the log cleanly, then saves the producer state as of its (synced) end.
    func close() throws(LogError) {
        try sequenceLock.withLock { () throws(LogError) in
            guard !closed else { return }
            closed = true
            try log.close()
            if !log.readOnly { save(covering: log.logEndOffset) }
        }
    }

    /// Closes the log of a deleted topic (its directory already moved away): nothing is saved
    /// any more, so a late append cannot write state into a directory a new topic of the same
    /// name may be using, and appends still holding the partition fail.
    func discard() {
        sequenceLock.withLock { closed = true }
        try? log.delete()
    }

    /// After a roll (the active segment is not the one of the last save), saves the state of
    /// the batches in the sealed segments, which the roll fsynced.
    private func saveAfterRollLocked() {
        let active = log.activeSegmentBaseOffset
        guard !closed, active.rawValue != savedSegment.load(ordering: .relaxed) else { return }
        // Marked saved even when the save failed (its old file is then removed): the next open
        // rebuilds from the active segment, and appends do not retry the save one by one.
        save(covering: active)
        savedSegment.store(active.rawValue, ordering: .relaxed)
    }

    /// Writes the state below `offset`. A failure (a full disk) is logged, not thrown, and the
    /// old file removed so that it cannot pass for current: the state is rebuilt from the
    /// active segment on the next open.
    @discardableResult
    private func save(covering offset: Offset) -> Bool {
        do {
            try stateFile.save(sequences, covering: offset)
            return true
        } catch {
            logger.warning("cannot save producer state", metadata: ["partition": "\(id)", "reason": "\(error)"])
            try? stateFile.remove()
            return false
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

    /// Records settings already applied to every partition's log (`Broker.reconfigureTopic`).
    func setConfiguration(_ configuration: TopicConfiguration) {
        lock.withLock { _configuration = configuration }
    }
}
