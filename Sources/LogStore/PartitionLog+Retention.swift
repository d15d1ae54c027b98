import KafkaWire
import Logging

/// What one retention pass removed.
public struct RetentionResult: Hashable, Sendable {
    public var deletedSegments: Int
    public var deletedBytes: Int
    public var logStartOffset: Offset
}

extension PartitionLog {
    /// Deletes whole sealed segments that retention no longer covers, oldest first, and moves
    /// the log start offset to the first remaining segment.
    ///
    /// A segment goes when it has expired, or while the log without it is still at least
    /// `retentionBytes`. A segment expires when its newest record is older than
    /// `retentionMilliseconds` (Kafka's rule, on record timestamps) and it was also last written
    /// longer ago than that: records may carry old event times (the simulation's day is in
    /// the past), and retention must not delete them the moment they are stored. The active segment is never
    /// deleted while it is written; when even its newest record has expired, it is rolled
    /// first (as Kafka does), so a log nobody writes to any more empties out.
    @discardableResult
    public func enforceRetention() throws(LogError) -> RetentionResult {
        try lock.withLock { () throws(LogError) in
            guard !isClosed else { throw LogError(.closed, "log is closed", path: directory) }
            try requireWritable()
            let now = clock.milliseconds()
            func expired(_ segment: Segment) -> Bool {
                guard let retention = settings.retentionMilliseconds else { return false }
                return segment.maxTimestamp < now - retention && segment.lastWrite < now - retention
            }
            // A roll syncs and so moves the durable end: never on an offline log, whose failed
            // sync may have lost pages a later, successful one would stand over.
            if storageFailure == nil, let active = segments.last, !active.isEmpty, expired(active) {
                try failingOffline { () throws(LogError) in try rollLocked() }
            }
            var total = segments.reduce(0) { $0 + $1.size }
            var deleted = 0
            var deletedBytes = 0
            while segments.count > 1 {
                let oldest = segments[0]
                let oversized = settings.retentionBytes.map { Int64(total - oldest.size) >= $0 } ?? false
                guard expired(oldest) || oversized else { break }
                try oldest.deleteFiles()
                loadedSealed.removeAll { $0 == ObjectIdentifier(oldest) }
                segments.removeFirst()
                total -= oldest.size
                deleted += 1
                deletedBytes += oldest.size
            }
            if deleted > 0 {
                logger.info(
                    "retention deleted segments",
                    metadata: ["log": "\(directory)", "segments": "\(deleted)", "start": "\(logStartLocked)"]
                )
            }
            return RetentionResult(deletedSegments: deleted, deletedBytes: deletedBytes, logStartOffset: logStartLocked)
        }
    }
}

extension PartitionLog {
    /// Deletes every sealed segment that lies wholly below `offset` (used to drop history that
    /// a newer snapshot in the same log replaces). Returns the new log start offset.
    @discardableResult
    public func deleteSegments(below offset: Offset) throws(LogError) -> Offset {
        try lock.withLock { () throws(LogError) in
            try requireWritable()
            while segments.count > 1, segments[0].nextOffset <= offset, segments[1].baseOffset <= offset {
                try segments[0].deleteFiles()
                loadedSealed.removeAll { $0 == ObjectIdentifier(segments[0]) }
                segments.removeFirst()
            }
            return logStartLocked
        }
    }
}
