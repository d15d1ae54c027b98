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
    /// A segment goes when its newest record is older than `retentionMilliseconds`, or while
    /// the log without it is still at least `retentionBytes`. The active segment always stays.
    @discardableResult
    public func enforceRetention() throws(LogError) -> RetentionResult {
        try lock.withLock { () throws(LogError) in
            let now = clock.milliseconds()
            var total = segments.reduce(0) { $0 + $1.size }
            var deleted = 0
            var deletedBytes = 0
            while segments.count > 1 {
                let oldest = segments[0]
                let expired = configuration.retentionMilliseconds.map { oldest.maxTimestamp < now - $0 } ?? false
                let oversized = configuration.retentionBytes.map { Int64(total - oldest.size) >= $0 } ?? false
                guard expired || oversized else { break }
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
                    metadata: ["log": "\(directory)", "segments": "\(deleted)", "start": "\(segments[0].baseOffset)"]
                )
            }
            return RetentionResult(deletedSegments: deleted, deletedBytes: deletedBytes, logStartOffset: segments[0].baseOffset)
        }
    }
}

extension PartitionLog {
    /// Deletes every sealed segment that lies wholly below `offset` (used to drop history that
    /// a newer snapshot in the same log replaces). Returns the new log start offset.
    @discardableResult
    public func deleteSegments(below offset: Offset) throws(LogError) -> Offset {
        try lock.withLock { () throws(LogError) in
            while segments.count > 1, segments[0].nextOffset <= offset, segments[1].baseOffset <= offset {
                try segments[0].deleteFiles()
                loadedSealed.removeAll { $0 == ObjectIdentifier(segments[0]) }
                segments.removeFirst()
            }
            return segments[0].baseOffset
        }
    }
}
