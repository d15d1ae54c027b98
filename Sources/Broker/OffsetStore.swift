import KafkaWire
import LogStore
import Logging

/// Committed offsets of every group, kept in a log of their own, like Kafka's
/// `__consumer_offsets` topic.
///
/// Each commit appends one batch; a record's key and value use the layout of Kafka's offset
/// commit messages:
/// - key: int16 version (1), string group, string topic, int32 partition;
/// - value: int16 version (1), int64 offset, string metadata, int64 commit timestamp,
///   int64 expire timestamp (-1); a null value deletes the key.
///
/// On open the log is replayed into memory. When it holds many more records than live keys,
/// a snapshot of the live keys is appended after a roll and the segments before it are
/// deleted, so the log stays proportional to the number of live offsets.
///
/// Thread-safe.
public final class OffsetStore: @unchecked Sendable {
    private let log: PartitionLog
    private let clock: any WallClock
    private let lock = Lock()
    /// The thread commits are written from (`commit(group:offsets:) async`), so a disk write
    /// never holds a thread of the concurrency pool.
    private let writer = ThreadExecutor(name: "ridestream-offsets")
    private var entries: [String: [TopicPartition: CommittedOffset]] = [:]
    private var recordsSinceCompaction = 0
    private var liveCount: Int { entries.values.reduce(0) { $0 + $1.count } }

    init(directory: String, log defaults: LogConfiguration, clock: any WallClock, logger: Logger) throws(BrokerError) {
        var configuration = defaults
        configuration.retentionBytes = nil
        configuration.retentionMilliseconds = nil
        configuration.segmentBytes = min(defaults.segmentBytes, 64 << 20)
        let where_ = TopicPartition("__consumer_offsets", PartitionID(0))
        do {
            log = try PartitionLog(directory: directory, configuration: configuration, clock: clock, logger: logger)
        } catch {
            throw BrokerError(error, topicPartition: where_)
        }
        self.clock = clock
        try replay(where_)
    }

    private func replay(_ id: TopicPartition) throws(BrokerError) {
        var next = log.logStartOffset
        let end = log.logEndOffset
        do {
            while next < end {
                let read = try log.read(from: next, maxBytes: 4 << 20)
                for header in try RecordBatch.validateAll(read.bytes) { next = header.nextOffset }
                var position = 0
                while position < read.bytes.count {
                    let header = try read.bytes.withRawBytes { (raw) throws(WireError) in try RecordBatchHeader.parse(raw, at: position) }
                    try RecordBatch.forEachRecord(in: read.bytes, at: position) { record throws(WireError) in
                        try apply(record)
                        recordsSinceCompaction += 1
                    }
                    position += header.totalSize
                }
            }
        } catch let error as LogError {
            throw BrokerError(error, topicPartition: id)
        } catch {
            throw BrokerError(.corruptMessage, "\(log.directory): undecodable committed offset: \(error)")
        }
    }

    private func apply(_ record: BatchRecord) throws(WireError) {
        guard let key = record.key else { throw WireError(.malformed, "offset record without a key") }
        let (group, partition) = try Array(key).withRawBytes { (raw) throws(WireError) in
            var reader = ByteReader(raw)
            _ = try reader.readInt16()
            return (try reader.readString(), TopicPartition(try reader.readString(), PartitionID(try reader.readInt32())))
        }
        guard let value = record.value else {
            entries[group]?[partition] = nil
            if entries[group]?.isEmpty == true { entries[group] = nil }
            return
        }
        let committed = try Array(value).withRawBytes { (raw) throws(WireError) in
            var reader = ByteReader(raw)
            _ = try reader.readInt16()
            return CommittedOffset(
                offset: Offset(try reader.readInt64()), metadata: try reader.readString(), commitTimestamp: try reader.readInt64()
            )
        }
        entries[group, default: [:]][partition] = committed
    }

    private static func key(_ group: String, _ partition: TopicPartition) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.write(Int16(1))
        writer.writeString(group)
        writer.writeString(partition.topic)
        writer.write(partition.partition.rawValue)
        return writer.take()
    }

    private static func value(_ committed: CommittedOffset) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.write(Int16(1))
        writer.write(committed.offset.rawValue)
        writer.writeString(committed.metadata)
        writer.write(committed.commitTimestamp)
        writer.write(Int64(-1))
        return writer.take()
    }

    /// Stores a group's commits durably (one appended batch) before they become visible.
    public func commit(group: String, offsets: [TopicPartition: CommittedOffset]) throws(BrokerError) {
        guard !offsets.isEmpty else { return }
        try lock.withLock { () throws(BrokerError) in
            try appendLocked(offsets.sorted { $0.key < $1.key }.map { (Self.key(group, $0.key), Self.value($0.value)) })
            for (partition, committed) in offsets { entries[group, default: [:]][partition] = committed }
            recordsSinceCompaction += offsets.count
            if recordsSinceCompaction > 4 * liveCount + 10_000 { try compactLocked() }
        }
    }

    /// Queues `commit(group:offsets:)` on the store's own thread, at once and in the caller's
    /// order (the coordinator calls it under its actor, right after admitting the commit, so
    /// a commit admitted later is never stored before one admitted earlier); the caller awaits
    /// the handle's `value` instead of blocking a pool thread while the batch is appended.
    func scheduleCommit(group: String, offsets: [TopicPartition: CommittedOffset]) -> ThreadExecutor.Scheduled<Void, BrokerError> {
        writer.schedule { () throws(BrokerError) in try self.commit(group: group, offsets: offsets) }
    }

    /// Forgets every offset of a group (tombstones).
    public func deleteGroup(_ group: String) throws(BrokerError) {
        try lock.withLock { () throws(BrokerError) in
            guard let partitions = entries[group] else { return }
            try appendLocked(partitions.keys.sorted().map { (Self.key(group, $0), nil) })
            entries[group] = nil
        }
    }

    private func appendLocked(_ records: [([UInt8], [UInt8]?)]) throws(BrokerError) {
        let now = clock.milliseconds()
        var builder = RecordBatchBuilder(baseTimestamp: now)
        for (key, value) in records {
            builder.append(key: key, value: value, timestamp: now)
            if builder.sizeInBytes > 512 << 10 {
                try appendBatch(builder.build())
                builder = RecordBatchBuilder(baseTimestamp: now)
            }
        }
        if !builder.isEmpty { try appendBatch(builder.build()) }
    }

    private func appendBatch(_ batch: [UInt8]) throws(BrokerError) {
        do {
            _ = try log.append(batch)
        } catch {
            throw BrokerError(error, topicPartition: TopicPartition("__consumer_offsets", PartitionID(0)))
        }
    }

    /// Writes a snapshot of the live offsets into a fresh segment and drops the older ones.
    private func compactLocked() throws(BrokerError) {
        let id = TopicPartition("__consumer_offsets", PartitionID(0))
        do {
            try log.roll()
            let snapshotStart = log.logEndOffset
            var records: [([UInt8], [UInt8]?)] = []
            for (group, partitions) in entries.sorted(by: { $0.key < $1.key }) {
                for (partition, committed) in partitions.sorted(by: { $0.key < $1.key }) {
                    records.append((Self.key(group, partition), Self.value(committed)))
                }
            }
            try appendLocked(records)
            try log.flush()
            try log.deleteSegments(below: snapshotStart)
            recordsSinceCompaction = records.count
        } catch let error as LogError {
            throw BrokerError(error, topicPartition: id)
        } catch let error as BrokerError {
            throw error
        } catch {
            throw BrokerError(.unknownServerError, "\(error)")
        }
    }

    public func committed(group: String) -> [TopicPartition: CommittedOffset] {
        lock.withLock { entries[group] ?? [:] }
    }

    public func committed(group: String, partition: TopicPartition) -> CommittedOffset? {
        lock.withLock { entries[group]?[partition] }
    }

    /// Groups with at least one committed offset.
    public func groups() -> [String] { lock.withLock { entries.keys.sorted() } }

    /// Syncs the offsets log when its timed flush is due (`Broker.maintain`).
    func flushIfDue() throws(BrokerError) -> Bool {
        do { return try log.flushIfDue() } catch { throw BrokerError(error, topicPartition: TopicPartition("__consumer_offsets", PartitionID(0))) }
    }

    /// See `PartitionLog.flushDeadline`.
    var flushDeadline: Int64? { log.flushDeadline }

    func close() throws(BrokerError) {
        do { try log.close() } catch { throw BrokerError(error, topicPartition: TopicPartition("__consumer_offsets", PartitionID(0))) }
    }
}
