import Foundation
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
/// A damaged log (a bad batch recovery will not cut, an undecodable record) keeps what can be
/// read (`OffsetLogSalvage`): opened for writing, the damaged directory is moved aside to
/// `consumer-offsets.damaged` and a fresh log starts with a snapshot of every readable
/// commit; opened read-only, the readable commits are served from memory. `damage` says
/// what was lost either way.
///
/// Thread-safe.
public final class OffsetStore: @unchecked Sendable {
    /// Nil for a damaged log opened read-only: the salvaged commits live in memory only.
    private let log: PartitionLog?
    /// What a damaged log lost, when it was opened damaged.
    public private(set) var damage: String?
    private let clock: any WallClock
    private let lock = Lock()
    /// The thread commits are written from (`commit(group:offsets:) async`), so a disk write
    /// never holds a thread of the concurrency pool.
    private let writer = ThreadExecutor(name: "ridestream-offsets")
    private var entries: [String: [TopicPartition: CommittedOffset]] = [:]
    private var recordsSinceCompaction = 0
    private var liveCount: Int { entries.values.reduce(0) { $0 + $1.count } }

    init(directory: String, log defaults: LogConfiguration, clock: any WallClock, logger: Logger, readOnly: Bool = false) throws(BrokerError) {
        var configuration = defaults
        configuration.retentionBytes = nil
        configuration.retentionMilliseconds = nil
        configuration.segmentBytes = min(defaults.segmentBytes, 64 << 20)
        let where_ = TopicPartition("__consumer_offsets", PartitionID(0))
        do {
            log = try PartitionLog(directory: directory, configuration: configuration, clock: clock, logger: logger, readOnly: readOnly)
        } catch {
            throw BrokerError(error, topicPartition: where_)
        }
        self.clock = clock
        damage = nil
        try replay(where_)
    }

    /// The salvaged commits of a damaged log, in memory, taking no writes.
    private init(salvaged entries: [String: [TopicPartition: CommittedOffset]], damage: String, clock: any WallClock) {
        log = nil
        self.entries = entries
        self.damage = damage
        self.clock = clock
    }

    /// `base`, or `base-2`, `base-3`, ... : the first name not taken (older damaged copies stay).
    private static func unusedName(_ base: String) -> String {
        var name = base
        var number = 1
        while FileManager.default.fileExists(atPath: name) {
            number += 1
            name = "\(base)-\(number)"
        }
        return name
    }

    /// Opens the committed-offsets log in `directory`, keeping what a damaged one still holds.
    /// A salvaged log a crash left built but not yet swapped in (the damaged one already moved
    /// aside) is swapped in first.
    static func open(
        directory: String, log defaults: LogConfiguration, clock: any WallClock, logger: Logger, readOnly: Bool
    ) throws(BrokerError) -> OffsetStore {
        let salvaged = directory + ".salvaged"
        if !readOnly, !FileManager.default.fileExists(atPath: directory), FileManager.default.fileExists(atPath: salvaged) {
            try? FileManager.default.moveItem(atPath: salvaged, toPath: directory)
        }
        do {
            return try OffsetStore(directory: directory, log: defaults, clock: clock, logger: logger, readOnly: readOnly)
        } catch where error.code == .corruptMessage {
            var entries: [String: [TopicPartition: CommittedOffset]] = [:]
            let salvage = try OffsetLogSalvage(directory: directory) { (batch) throws(WireError) in
                try RecordBatch.forEachRecord(in: batch) { record throws(WireError) in try Self.apply(record, to: &entries) }
            }
            let kept = entries.values.reduce(0) { $0 + $1.count }
            let damage = "kept \(kept) committed offsets of \(entries.count) groups from \(salvage.batches) readable batches, "
                + "lost what was in " + (salvage.damaged.isEmpty ? "an undecodable record" : salvage.damaged.joined(separator: ", "))
            logger.warning("the committed-offsets log is damaged", metadata: ["damage": "\(damage)", "found": "\(error.message)"])
            if readOnly { return OffsetStore(salvaged: entries, damage: damage, clock: clock) }
            // Built aside and swapped in, so a crash at any moment leaves the damaged log (salvaged
            // again on the next open) or the salvaged one, never an empty log in its place.
            try? FileManager.default.removeItem(atPath: salvaged)
            let fresh = try OffsetStore(directory: salvaged, log: defaults, clock: clock, logger: logger)
            try fresh.lock.withLock { () throws(BrokerError) in
                fresh.entries = entries
                try fresh.compactLocked()
            }
            try fresh.close()
            let aside = Self.unusedName(directory + ".damaged")
            do {
                try FileManager.default.moveItem(atPath: directory, toPath: aside)
                try FileManager.default.moveItem(atPath: salvaged, toPath: directory)
                try DurableFile.syncDirectory((directory as NSString).deletingLastPathComponent)
            } catch {
                throw BrokerError(.kafkaStorageError, "\(directory): cannot swap in the salvaged committed-offsets log: \(error.localizedDescription)")
            }
            let store = try OffsetStore(directory: directory, log: defaults, clock: clock, logger: logger)
            store.damage = damage
            logger.warning("started a fresh committed-offsets log with the readable commits", metadata: ["damaged_copy": "\(aside)"])
            return store
        }
    }

    private func replay(_ id: TopicPartition) throws(BrokerError) {
        guard let log else { return }
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
                        try Self.apply(record, to: &entries)
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

    private static func apply(_ record: BatchRecord, to entries: inout [String: [TopicPartition: CommittedOffset]]) throws(WireError) {
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

    /// Queues a deletion (`deleteGroup` with no partitions, else `deleteOffsets`) on the
    /// store's own thread, in the caller's order with the commits (see `scheduleCommit`).
    func scheduleDeletion(group: String, partitions: [TopicPartition]?) -> ThreadExecutor.Scheduled<Void, BrokerError> {
        writer.schedule { () throws(BrokerError) in
            if let partitions { try self.deleteOffsets(group: group, partitions: partitions) } else { try self.deleteGroup(group) }
        }
    }

    /// Forgets every offset of a group (tombstones).
    public func deleteGroup(_ group: String) throws(BrokerError) {
        try lock.withLock { () throws(BrokerError) in
            guard let partitions = entries[group] else { return }
            try appendLocked(partitions.keys.sorted().map { (Self.key(group, $0), nil) })
            entries[group] = nil
        }
    }

    /// Forgets a group's offsets for some partitions (tombstones); returns those it had.
    @discardableResult
    public func deleteOffsets(group: String, partitions: [TopicPartition]) throws(BrokerError) -> Set<TopicPartition> {
        try lock.withLock { () throws(BrokerError) in
            let held = Set(partitions).filter { entries[group]?[$0] != nil }
            guard !held.isEmpty else { return [] }
            try appendLocked(held.sorted().map { (Self.key(group, $0), nil) })
            for partition in held { entries[group]?[partition] = nil }
            if entries[group]?.isEmpty == true { entries[group] = nil }
            return held
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
            _ = try writableLog().append(batch)
        } catch {
            throw BrokerError(error, topicPartition: TopicPartition("__consumer_offsets", PartitionID(0)))
        }
    }

    /// Writes a snapshot of the live offsets into a fresh segment and drops the older ones.
    private func compactLocked() throws(BrokerError) {
        let id = TopicPartition("__consumer_offsets", PartitionID(0))
        do {
            let log = try writableLog()
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
        do { return try log?.flushIfDue() ?? false } catch { throw BrokerError(error, topicPartition: TopicPartition("__consumer_offsets", PartitionID(0))) }
    }

    /// See `PartitionLog.flushDeadline`.
    var flushDeadline: Int64? { log?.flushDeadline }

    private func writableLog() throws(LogError) -> PartitionLog {
        guard let log else { throw LogError(.readOnly, "the damaged committed-offsets log was opened read-only") }
        return log
    }

    func close() throws(BrokerError) {
        do { try log?.close() } catch { throw BrokerError(error, topicPartition: TopicPartition("__consumer_offsets", PartitionID(0))) }
    }
}
