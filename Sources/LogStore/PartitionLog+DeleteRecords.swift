import KafkaWire
import Logging

/// Where DeleteRecords last moved a partition's start: `log-start-offset` in the partition
/// directory, a `ChecksummedFile` of magic `RSLS` holding the offset as a big-endian Int64 (as
/// Kafka's log-start-offset checkpoint). Records below it are gone for every reader even while
/// the segment holding them is still on the disk. Absent: the log starts at its first segment.
struct LogStartCheckpoint {
    static let fileName = "log-start-offset"
    static let magic = "RSLS"

    static func write(_ offset: Offset, directory: String) throws(LogError) {
        var writer = ByteWriter(capacity: 8)
        writer.write(offset.rawValue)
        try ChecksummedFile.write(writer.take(), magic: magic, to: directory + "/" + fileName)
    }

    /// The stored start, or nil when there is none.
    ///
    /// - Throws: `LogError.corruptSegment` naming the file when it is damaged: deleted records
    ///   must not come back because the note that deleted them was lost. The message says
    ///   what removing the file would do.
    static func read(directory: String) throws(LogError) -> Offset? {
        let path = directory + "/" + fileName
        let payload: [UInt8]?
        do {
            payload = try ChecksummedFile.read(path, magic: magic)
        } catch where error.kind == .corruptSegment {
            throw LogError(
                .corruptSegment,
                "\(error.message); it records where DeleteRecords moved this partition's start. Removing it brings back the records below that start that are still on the disk",
                path: path
            )
        }
        guard let payload else { return nil }
        guard payload.count == 8 else {
            throw LogError(.corruptSegment, "a log start checkpoint holds 8 bytes, this one \(payload.count)", path: path)
        }
        let value = payload.reduce(Int64(0)) { $0 << 8 | Int64($1) }
        guard value >= 0 else { throw LogError(.corruptSegment, "negative log start offset \(value)", path: path) }
        return Offset(value)
    }
}

extension PartitionLog {
    /// Deletes every record below `offset` (Kafka's DeleteRecords): the log start moves there
    /// for readers at once and durably, and the whole segments below it are removed. Returns
    /// the new log start (the old one when it was already past `offset`).
    ///
    /// - Throws: `LogError.offsetOutOfRange` for an offset below 0 or past the high watermark;
    ///   `.readOnly`, `.offline` and `.closed` as appends do.
    @discardableResult
    public func deleteRecords(below offset: Offset) throws(LogError) -> Offset {
        try lock.withLock { () throws(LogError) in
            guard !isClosed else { throw LogError(.closed, "log is closed", path: directory) }
            try requireWritable()
            try requireOnlineLocked()
            let visible = highWatermarkLocked
            guard offset >= .zero, offset <= visible else {
                throw LogError(
                    .offsetOutOfRange,
                    "cannot delete records below \(offset): the log holds \(logStartLocked) ..< \(visible)", path: directory
                )
            }
            guard offset > logStartLocked else { return logStartLocked }
            // The checkpoint first: once it is durable the records are gone whatever happens
            // to the files below.
            try failingOffline { () throws(LogError) in try LogStartCheckpoint.write(offset, directory: directory) }
            deletedBelow = offset
            var removed = 0
            while segments.count > 1, segments[1].baseOffset <= offset {
                try segments[0].deleteFiles()
                loadedSealed.removeAll { $0 == ObjectIdentifier(segments[0]) }
                segments.removeFirst()
                removed += 1
            }
            logger.info("records deleted", metadata: ["log": "\(directory)", "start": "\(offset)", "segments_removed": "\(removed)"])
            return logStartLocked
        }
    }

    /// Finishes what a DeleteRecords interrupted by a crash left, on a writable open: whole
    /// segments below the start are removed. A start past the log end can only follow a power
    /// loss that took back the log's unsynced tail after the checkpoint was synced: as Kafka
    /// does, the log then starts over, empty, at that start, so no offset below it is given
    /// out again (the records that had those offsets were deleted and acknowledged as such).
    func settleDeletedRecords() throws(LogError) {
        if deletedBelow > segments.last!.nextOffset {
            logger.warning(
                "the log ends below its start (its tail was lost after records were deleted); it starts over at its start",
                metadata: ["log": "\(directory)", "end": "\(segments.last!.nextOffset)", "start": "\(deletedBelow)"]
            )
            // Old segments first: a crash in between leaves no segment, and the next open
            // makes an empty one at 0 and comes here again.
            for segment in segments { try segment.deleteFiles() }
            try FileSystem.syncDirectory(directory)
            segments = [try Segment(directory: directory, baseOffset: deletedBelow, indexIntervalBytes: settings.indexIntervalBytes, create: true)]
            try FileSystem.syncDirectory(directory)
            return
        }
        while segments.count > 1, segments[1].baseOffset <= deletedBelow {
            try segments[0].deleteFiles()
            segments.removeFirst()
        }
    }

    /// Changes the settings a topic may change while its log is open: retention, segment size
    /// and age, the largest batch. The flush policy and index interval stay as opened.
    ///
    /// - Throws: `LogError.invalidConfiguration` when the new settings are invalid or change
    ///   what cannot change.
    public func reconfigure(_ new: LogConfiguration) throws(LogError) {
        try new.validate()
        try lock.withLock { () throws(LogError) in
            guard new.flush == flushPolicy, new.indexIntervalBytes == settings.indexIntervalBytes else {
                throw LogError(.invalidConfiguration, "the flush policy and index interval of an open log cannot change", path: directory)
            }
            settings = new
        }
    }
}
