import KafkaWire
import Logging

extension PartitionLog {
    /// Whole batches starting with the one that contains `offset`, up to `maxBytes` (always at
    /// least one batch when there is one, even if it is larger), none at or past the high
    /// watermark. Batches come from one segment; read again from the returned end for more.
    ///
    /// - Throws: `LogError.offsetOutOfRange` outside `[logStartOffset, logEndOffset]` (an
    ///   offset between the high watermark and the log end reads nothing yet).
    public func read(from offset: Offset, maxBytes: Int) throws(LogError) -> LogReadResult {
        try lock.withLock { () throws(LogError) in
            guard !isClosed else { throw LogError(.closed, "log is closed", path: directory) }
            let start = logStartLocked
            let end = segments.last!.nextOffset
            guard offset >= start, offset <= end else {
                throw LogError(
                    .offsetOutOfRange, "offset \(offset) is outside the log's range \(start) ... \(end)", path: directory
                )
            }
            let visible = highWatermarkLocked
            guard offset < visible else { return LogReadResult(bytes: [], logStartOffset: start, highWatermark: visible) }
            var index = segmentIndex(containing: offset)
            while index < segments.count {
                let segment = segments[index]
                noteUse(segment)
                if let position = try segment.position(ofBatchContaining: offset) {
                    // The high watermark is a batch boundary: the batch starting there ends the read.
                    let limit = try segment.position(ofBatchContaining: visible) ?? segment.size
                    let bytes = try segment.read(from: position, maxBytes: maxBytes, upTo: limit)
                    return LogReadResult(bytes: bytes, logStartOffset: start, highWatermark: visible)
                }
                index += 1
            }
            return LogReadResult(bytes: [], logStartOffset: start, highWatermark: visible)
        }
    }

    /// Calls `body` with the header of every batch from the one containing `offset` to the log
    /// end, reading headers only: for state kept from batch metadata (idempotent producers).
    /// `body` runs under the log's lock and must not call back into the log.
    public func forEachBatchHeader(from offset: Offset, _ body: (RecordBatchHeader) throws(LogError) -> Void) throws(LogError) {
        try lock.withLock { () throws(LogError) in
            guard !isClosed else { throw LogError(.closed, "log is closed", path: directory) }
            let first = segmentIndex(containing: offset)
            noteUse(segments[first])
            if let position = try segments[first].position(ofBatchContaining: offset) {
                try segments[first].forEachHeader(from: position, body)
            }
            for segment in segments[(first + 1)...] { try segment.forEachHeader(from: 0, body) }
        }
    }

    /// The offset of the first record at or past the log start whose timestamp is at least
    /// `timestamp` (milliseconds), or nil when every such record is older (Kafka answers the
    /// log end then). Records DeleteRecords removed, below the start, are never found.
    public func offset(atOrAfterTimestamp timestamp: Int64) throws(LogError) -> Offset? {
        try lock.withLock { () throws(LogError) in
            let start = logStartLocked
            for segment in segments where segment.maxTimestamp >= timestamp && segment.nextOffset > start {
                noteUse(segment)
                if let offset = try segment.firstOffset(atOrAfter: timestamp, from: start) { return offset }
            }
            return nil
        }
    }

    /// Keeps at most `maxLoadedSealedIndexes` sealed segments' indexes in memory, dropping the
    /// least recently used. Call with the lock held, before using `segment`'s indexes.
    func noteUse(_ segment: Segment) {
        guard segment !== segments.last else { return }
        let id = ObjectIdentifier(segment)
        loadedSealed.removeAll { $0 == id }
        loadedSealed.append(id)
        while loadedSealed.count > Self.maxLoadedSealedIndexes {
            let evicted = loadedSealed.removeFirst()
            try? segments.first { ObjectIdentifier($0) == evicted }?.unloadIndexes()
        }
    }

    /// The index of the last segment whose base offset is at most `offset`.
    func segmentIndex(containing offset: Offset) -> Int {
        var low = 0
        var high = segments.count
        while low < high {
            let mid = (low + high) / 2
            if segments[mid].baseOffset <= offset { low = mid + 1 } else { high = mid }
        }
        return max(0, low - 1)
    }
}
