import KafkaWire
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// What an append stored.
public struct AppendResult: Hashable, Sendable {
    public var baseOffset: Offset
    public var lastOffset: Offset
    public var recordCount: Int

    public init(baseOffset: Offset, lastOffset: Offset, recordCount: Int) {
        self.baseOffset = baseOffset
        self.lastOffset = lastOffset
        self.recordCount = recordCount
    }

    /// Where a stored batch's records are, from its header (offsets assigned).
    public init(_ header: RecordBatchHeader) {
        baseOffset = header.baseOffset
        lastOffset = header.lastOffset
        recordCount = Int(header.recordsCount)
    }
}

/// One segment as inspection shows it.
public struct SegmentInfo: Hashable, Sendable {
    public var baseOffset: Offset
    /// "00000000000000012345.log".
    public var fileName: String
    public var size: Int
    /// When it was last written (ms since the epoch, the file's modification time).
    public var lastWrite: Int64
    /// Its newest record timestamp, -1 when empty.
    public var maxTimestamp: Int64
}

/// Whole batches read from a log, with the log's bounds at the time of the read.
public struct LogReadResult: Sendable {
    /// Back-to-back RecordBatch v2 bytes; empty when the read offset was the log end.
    public var bytes: [UInt8]
    public var logStartOffset: Offset
    /// The end a reader sees (`PartitionLog.highWatermark`); a read never returns a record at
    /// or past it.
    public var highWatermark: Offset
}

/// The durable log of one topic partition: a directory of segments.
///
/// Layout of the directory:
/// - `<20-digit base offset>.log|.index|.timeindex` per segment (see `Segment`);
/// - `.clean-shutdown`, written by `close()` after everything is synced and removed on open.
///   Without it the log was not closed cleanly and `init` runs recovery;
/// - `recovery-point`, where the active segment was last synced by an `.interval` flush
///   (see `RecoveryPoint`): damage below it is corruption, never a torn tail.
///
/// Opened `readOnly` (inspection, `verify`), the log writes nothing at all: no marker removal,
/// no truncation, no index files; appends, rolls and flushes fail with `.readOnly`.
///
/// Invariants: segments are contiguous (each starts at the previous one's end); only the last
/// (active) segment is written; a segment is fsynced before a newer one is created, so after
/// a crash only the active segment can hold a torn or corrupt tail. Recovery validates the
/// active segment's CRCs and cuts its tail at the first bad batch; damage in a sealed segment
/// is reported as `LogError.corruptSegment`, never dropped.
///
/// A failed write, roll or sync takes the log offline (as Kafka takes a log directory offline):
/// every later append fails with `LogError.Kind.offline` naming the first failure, while reads
/// go on up to the last whole batch. Only reopening the log (which scans and recovers the
/// tail, since an offline log never writes the clean-shutdown marker) brings it back, so a
/// partition never holds a batch appended after one that was lost.
///
/// Thread-safe: all state is behind one lock; `append` with `FlushPolicy.everyAppend` syncs
/// outside it so that concurrent appenders share fsyncs (group commit).
public final class PartitionLog: @unchecked Sendable {
    public let directory: String
    /// The log's settings now: those a topic may change while the log is open
    /// (`reconfigure`) as last set, the rest as opened.
    public var configuration: LogConfiguration { lock.withLock { settings } }
    /// When appended records are synced; fixed for the log's lifetime.
    public let flushPolicy: FlushPolicy
    /// What opening the log found and did.
    public let recovery: RecoveryReport
    /// Opened for reading only: nothing in the directory is ever written.
    public let readOnly: Bool

    let clock: any WallClock
    let logger: Logger
    let lock = Lock()
    private let syncLock = Lock()
    /// Held only while `recovery-point` is written (innermost: nothing else is taken under
    /// it). A timed flush writes it under `syncLock` alone, a counted one or a close under
    /// `lock`: both at once would rename the same temporary file.
    private let recoveryPointLock = Lock()
    var segments: [Segment]
    /// Sealed segments whose indexes are in memory, least recently used first.
    var loadedSealed: [ObjectIdentifier] = []
    static let maxLoadedSealedIndexes = 2
    var isClosed = false
    private var unflushedRecords = 0
    private var lastFlush: Int64
    /// Everything below this offset is known to be on the disk. Always at a batch boundary.
    var durableOffset: Offset
    /// The first failed write, roll or sync: set once, the log is offline for appends.
    var storageFailure: LogError?
    /// See `configuration`. Read and written under `lock`.
    var settings: LogConfiguration
    /// Where DeleteRecords moved the start inside the first segment (`LogStartCheckpoint`);
    /// the log starts at the larger of this and the first segment's base. Under `lock`.
    var deletedBelow: Offset

    static let cleanShutdownMarker = ".clean-shutdown"

    /// Opens the log in `directory`, creating it when absent and recovering it when it was not
    /// closed cleanly.
    public init(
        directory: String,
        configuration: LogConfiguration = LogConfiguration(),
        clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "ridestream.log"),
        readOnly: Bool = false
    ) throws(LogError) {
        try configuration.validate()
        self.directory = directory
        settings = configuration
        flushPolicy = configuration.flush
        self.clock = clock
        self.logger = logger
        self.readOnly = readOnly
        if !readOnly { try FileSystem.createDirectory(directory) }
        let opened = try Self.openSegments(directory: directory, configuration: configuration, readOnly: readOnly, logger: logger)
        segments = opened.segments
        recovery = opened.report
        let checkpoint = try LogStartCheckpoint.read(directory: directory) ?? .zero
        deletedBelow = readOnly ? min(checkpoint, segments.last!.nextOffset) : checkpoint
        durableOffset = segments.last!.nextOffset
        lastFlush = clock.milliseconds()
        if !readOnly {
            do throws(LogError) {
                try settleDeletedRecords()
            } catch {
                isClosed = true  // half open: deinit must not close it as if clean
                throw error
            }
            durableOffset = segments.last!.nextOffset
        }
        // An active segment that already holds data ages (for `segmentMilliseconds`) from its
        // last write before this open, so an idle log still rolls by age after a restart.
        if let active = segments.last, !active.isEmpty { active.rollClockStart = active.lastWrite }
        guard !readOnly else { return }
        // The marker's removal must be durable before appends, or a crash could leave a
        // marker that claims a clean close over an unscanned, torn tail.
        try FileSystem.remove(directory + "/" + Self.cleanShutdownMarker)
        try FileSystem.syncDirectory(directory)
        // A tail written before a kill but never synced is still in the page cache only: under
        // `everyAppend` it is synced now, so the high watermark's promise holds for it too.
        if flushPolicy == .everyAppend { try segments.last!.sync() }
    }

    deinit {
        if !isClosed { try? close() }
    }

    // MARK: - Bounds

    public var logStartOffset: Offset { lock.withLock { logStartLocked } }
    var logStartLocked: Offset { max(deletedBelow, segments.first!.baseOffset) }
    public var logEndOffset: Offset { lock.withLock { segments.last!.nextOffset } }
    /// The end readers see, Kafka's high watermark. Under `FlushPolicy.everyAppend` it is the
    /// synced end: a producer's acknowledgement waits for the same fsync, so no consumer reads
    /// a record that a power loss can still take back. Under the other policies nothing is
    /// promised across a power loss and readers see the whole log.
    public var highWatermark: Offset { lock.withLock { highWatermarkLocked } }
    var highWatermarkLocked: Offset {
        let end = segments.last!.nextOffset
        return flushPolicy == .everyAppend ? min(durableOffset, end) : end
    }
    public var sizeInBytes: Int { lock.withLock { segments.reduce(0) { $0 + $1.size } } }
    public var segmentBaseOffsets: [Offset] { lock.withLock { segments.map(\.baseOffset) } }
    /// The oldest segment, the one retention deletes next.
    public var oldestSegment: SegmentInfo {
        lock.withLock {
            let oldest = segments.first!
            return SegmentInfo(baseOffset: oldest.baseOffset, fileName: Segment.fileName(oldest.baseOffset, ".log"), size: oldest.size, lastWrite: oldest.lastWrite, maxTimestamp: oldest.maxTimestamp)
        }
    }

    /// The base offset of the segment appends go to; it changes when the log rolls.
    public var activeSegmentBaseOffset: Offset { lock.withLock { segments.last!.baseOffset } }

    // MARK: - Append

    /// Appends one RecordBatch v2, assigning it the next offsets.
    ///
    /// The bytes must be exactly one batch with a valid CRC, no larger than
    /// `configuration.maxBatchBytes`; its base offset field is overwritten. Rolls the active
    /// segment first when the batch would overflow it or it is older than `segmentMilliseconds`.
    ///
    /// - Parameter verifyChecksum: false only for batches this process built itself (the
    ///   in-process producer), whose CRC was computed a moment ago; bytes from files or
    ///   sockets are always verified.
    public func append(_ batch: consuming [UInt8], verifyChecksum: Bool = true) throws(LogError) -> AppendResult {
        var bytes = batch
        let maxBatchBytes = lock.withLock { settings.maxBatchBytes }
        guard bytes.count <= maxBatchBytes else {
            throw LogError(
                .batchTooLarge, "batch of \(bytes.count) bytes exceeds the maximum of \(maxBatchBytes)",
                path: directory
            )
        }
        var header: RecordBatchHeader
        do {
            header = try bytes.withRawBytes { (raw) throws(WireError) in
                verifyChecksum ? try RecordBatch.validate(raw) : try RecordBatchHeader.parse(raw)
            }
        } catch {
            throw LogError(.invalidBatch, "rejected batch: \(error)", path: directory)
        }
        guard header.compression != 0 || header.recordsCount == 0 || Int64(header.lastOffsetDelta) == Int64(header.recordsCount) - 1 else {
            throw LogError(
                .invalidBatch, "last offset delta \(header.lastOffsetDelta) does not match \(header.recordsCount) records",
                path: directory
            )
        }
        guard header.compression != 0 || Int(header.recordsCount) * RecordBatch.minimumRecordBytes <= header.totalSize - RecordBatchHeader.size else {
            throw LogError(
                .invalidBatch, "\(header.recordsCount) records cannot fit in a batch of \(header.totalSize) bytes", path: directory
            )
        }
        guard header.totalSize == bytes.count else {
            throw LogError(
                .invalidBatch, "expected exactly one batch of \(header.totalSize) bytes, got \(bytes.count) bytes",
                path: directory
            )
        }
        let result: AppendResult = try lock.withLock { () throws(LogError) in
            guard !isClosed else { throw LogError(.closed, "log is closed", path: directory) }
            try requireOnlineLocked()
            let now = clock.milliseconds()
            var active = segments.last!
            return try failingOffline { () throws(LogError) in
                // Roll when full, old, or when relative offsets would outgrow the 32-bit index.
                if !active.isEmpty,
                   active.size + bytes.count > settings.segmentBytes
                    || now - (active.rollClockStart ?? now) >= settings.segmentMilliseconds
                    || active.nextOffset - active.baseOffset + Int64(header.lastOffsetDelta) >= Int64(UInt32.max) {
                    active = try rollLocked()
                }
                header.baseOffset = active.nextOffset
                RecordBatch.setBaseOffset(header.baseOffset, in: &bytes)
                try active.append(bytes, header: header)
                if active.rollClockStart == nil { active.rollClockStart = now }
                active.lastWrite = now
                unflushedRecords += Int(header.recordsCount)
                if case let .interval(records, milliseconds) = flushPolicy,
                   unflushedRecords >= (records ?? .max) || now - lastFlush >= (milliseconds ?? .max) {
                    try flushLocked(now: now)
                }
                return AppendResult(header)
            }
        }
        if flushPolicy == .everyAppend { try syncCovering(result.lastOffset + 1) }
        return result
    }

    // MARK: - Offline

    /// Whether a failed write, roll or sync has taken the log offline (see the type's notes).
    public var offlineReason: LogError? { lock.withLock { storageFailure } }

    /// Throws `.offline` when an earlier write failed. Call with the lock held.
    func requireOnlineLocked() throws(LogError) {
        try requireWritable()
        guard let storageFailure else { return }
        throw LogError(
            .offline,
            "takes no appends since a write failed (\(storageFailure.message)); reopening the log recovers it",
            path: storageFailure.path ?? directory, errno: storageFailure.errno
        )
    }

    /// Throws `.readOnly` for a log opened read-only.
    func requireWritable() throws(LogError) {
        if readOnly { throw LogError(.readOnly, "the log was opened read-only", path: directory) }
    }

    /// Runs `work` (with the lock held); any error it throws takes the log offline first.
    func failingOffline<T>(_ work: () throws(LogError) -> T) throws(LogError) -> T {
        do throws(LogError) {
            return try work()
        } catch {
            noteFailureLocked(error)
            throw error
        }
    }

    /// Takes the log offline for appends after `error`, unless an earlier failure did.
    func noteFailureLocked(_ error: LogError) {
        guard storageFailure == nil else { return }
        storageFailure = error
        logger.error("log is offline after a failed write", metadata: ["log": "\(directory)", "error": "\(error)"])
    }

    /// Group commit: makes everything below `target` durable, unless another caller's sync
    /// already did. One fsync of the active segment covers every append made before it.
    private func syncCovering(_ target: Offset) throws(LogError) {
        try syncLock.withLock { () throws(LogError) in
            let (done, active, end) = try lock.withLock { () throws(LogError) in
                // A sync that failed for an earlier caller may have lost pages this caller's
                // batch follows: a second fsync would report success over them (Linux reports
                // a write-back error once), so nothing is acknowledged after a failed sync.
                try requireOnlineLocked()
                return (durableOffset >= target, segments.last!, segments.last!.nextOffset)
            }
            if done { return }
            do throws(LogError) {
                try active.sync()
            } catch {
                lock.withLock { noteFailureLocked(error) }
                throw error
            }
            lock.withLock { if end > durableOffset { durableOffset = end } }
        }
    }

    /// Seals the active segment (sync, indexes) and starts a new one at the log end.
    @discardableResult
    func rollLocked() throws(LogError) -> Segment {
        let old = segments.last!
        try old.sync()
        // Every older segment was synced when it rolled: the whole log up to here is durable.
        if old.nextOffset > durableOffset { durableOffset = old.nextOffset }
        try old.unloadIndexes()
        let segment = try Segment(
            directory: directory, baseOffset: old.nextOffset, indexIntervalBytes: settings.indexIntervalBytes, create: true
        )
        segments.append(segment)
        try FileSystem.syncDirectory(directory)  // the new segment file survives a power loss
        logger.debug("rolled segment", metadata: ["log": "\(directory)", "base": "\(segment.baseOffset)"])
        return segment
    }

    /// Starts a new segment now if the active one holds data.
    public func roll() throws(LogError) {
        try lock.withLock { () throws(LogError) in
            try requireOnlineLocked()
            if !segments.last!.isEmpty { try failingOffline { () throws(LogError) in try rollLocked() } }
        }
    }

    // MARK: - Flush and close

    private func flushLocked(now: Int64) throws(LogError) {
        let active = segments.last!
        try active.sync()
        durableOffset = active.nextOffset
        unflushedRecords = 0
        lastFlush = now
        try noteRecoveryPoint(active, position: active.size)
    }

    /// Records that `segment` is synced up to `position`, for an `.interval` policy.
    private func noteRecoveryPoint(_ segment: Segment, position: Int) throws(LogError) {
        // Offline, a sync that succeeds may stand over pages an earlier failed one lost.
        guard case .interval = flushPolicy, storageFailure == nil else { return }
        try recoveryPointLock.withLock { () throws(LogError) in
            try RecoveryPoint(segmentBase: segment.baseOffset, position: position).write(directory: directory)
        }
    }

    /// Forces every appended record to the disk.
    public func flush() throws(LogError) {
        try lock.withLock { () throws(LogError) in
            guard !isClosed else { return }
            try requireOnlineLocked()
            try failingOffline { () throws(LogError) in try flushLocked(now: clock.milliseconds()) }
        }
    }

    /// Flushes when an `.interval` policy's time has run out with no append to notice it.
    /// Returns whether it synced.
    @discardableResult
    ///
    /// The fsync runs outside the log's lock, so readers and appenders do not wait for the disk
    /// (appends made meanwhile stay counted for the next flush).
    public func flushIfDue() throws(LogError) -> Bool {
        guard case let .interval(_, milliseconds?) = flushPolicy else { return false }
        let due: (segment: Segment, end: Offset, size: Int, records: Int, now: Int64)? = lock.withLock {
            let now = clock.milliseconds()
            guard !isClosed, storageFailure == nil, unflushedRecords > 0, now - lastFlush >= milliseconds else { return nil }
            return (segments.last!, segments.last!.nextOffset, segments.last!.size, unflushedRecords, now)
        }
        guard let due else { return false }
        do throws(LogError) {
            try syncLock.withLock { () throws(LogError) in
                try due.segment.sync()
                try noteRecoveryPoint(due.segment, position: due.size)
            }
        } catch {
            lock.withLock { noteFailureLocked(error) }
            throw error
        }
        lock.withLock {
            if due.end > durableOffset { durableOffset = due.end }
            unflushedRecords = max(0, unflushedRecords - due.records)
            lastFlush = max(lastFlush, due.now)
        }
        return true
    }

    /// When (clock milliseconds) the `.interval` policy's time runs out for the records not yet
    /// synced; nil when every record is synced or the policy has no time limit.
    public var flushDeadline: Int64? {
        guard case let .interval(_, milliseconds?) = flushPolicy else { return nil }
        return lock.withLock { !isClosed && unflushedRecords > 0 ? lastFlush + milliseconds : nil }
    }

    /// Every record below this offset is known to be on the disk (synced).
    public var flushedOffset: Offset { lock.withLock { durableOffset } }

    /// Rolls the active segment when its first append is older than `segmentMilliseconds`
    /// (Kafka's `segment.ms`), so that an idle log's last segment can age out too; appends
    /// check the same on their own. Returns whether it rolled.
    @discardableResult
    public func rollIfAged() throws(LogError) -> Bool {
        try lock.withLock { () throws(LogError) in
            let active = segments.last!
            guard !isClosed, storageFailure == nil, !active.isEmpty, let start = active.rollClockStart,
                  clock.milliseconds() - start >= settings.segmentMilliseconds else { return false }
            try failingOffline { () throws(LogError) in try rollLocked() }
            return true
        }
    }

    /// Syncs the data, writes the indexes and the clean-shutdown marker. Later calls fail with
    /// `LogError.closed`; closing twice is harmless.
    ///
    /// Closes what it can: when the log is offline, or its indexes or the marker cannot be
    /// written (a full disk), it is closed without the marker, so the next open scans its tail
    /// and rebuilds what is missing, and a warning says so; nothing appended is lost by that.
    /// Throws when the data itself could not be synced (records appended since the last sync
    /// may then be lost to a power failure), or when a file could not be written for another
    /// reason than a full disk (the directory vanished, permissions): the log is closed even
    /// then.
    public func close() throws(LogError) {
        try lock.withLock { () throws(LogError) in
            guard !isClosed else { return }
            isClosed = true
            guard !readOnly else { return }
            var unsynced: LogError?
            do throws(LogError) { try flushLocked(now: clock.milliseconds()) } catch { unsynced = error }
            var notWritten: [LogError] = []
            for segment in segments {
                do throws(LogError) { try segment.writeIndexes() } catch { notWritten.append(error) }
            }
            if notWritten.isEmpty && unsynced == nil && storageFailure == nil {
                do throws(LogError) {
                    try FileSystem.writeAtomically([], to: directory + "/" + Self.cleanShutdownMarker)
                    try FileSystem.syncDirectory(directory)
                } catch {
                    try? FileSystem.remove(directory + "/" + Self.cleanShutdownMarker + ".tmp")
                    notWritten.append(error)
                }
            }
            if storageFailure != nil || !notWritten.isEmpty {
                let reasons = (storageFailure.map { ["offline since \($0)"] } ?? []) + notWritten.map(\.description)
                logger.warning(
                    "log closed without its clean-shutdown marker; the next open checks its tail",
                    metadata: ["log": "\(directory)", "reason": "\(reasons.joined(separator: "; "))"]
                )
            }
            if let unsynced {
                throw LogError(.io, "closed, but its last records could not be synced: \(unsynced.message)", path: unsynced.path ?? directory, errno: unsynced.errno)
            }
            if let unexpected = notWritten.first(where: { $0.errno != ENOSPC && $0.errno != EDQUOT }) { throw unexpected }
        }
    }

    /// Closes the log and removes its directory.
    public func delete() throws(LogError) {
        try lock.withLock { () throws(LogError) in
            try requireWritable()
            isClosed = true
        }
        try FileSystem.removeTree(directory)
    }
}
