import KafkaWire

/// One segment of a partition log: a file of back-to-back RecordBatch v2 bytes plus its
/// offset and time indexes.
///
/// Files are named by the segment's base offset, zero-padded to 20 digits:
/// `00000000000000000000.log`, `.index`, `.timeindex`. The `.log` file holds batches exactly
/// as a Kafka Fetch serves them, with their real offsets written in; batches are contiguous:
/// each one's base offset is the previous one's last offset + 1, and the first one's is the
/// segment's base offset.
///
/// Not thread-safe: `PartitionLog` serializes every call.
final class Segment {
    let baseOffset: Offset
    let logPath: String
    let indexPath: String
    let timeIndexPath: String
    let file: FileDescriptor
    private let indexIntervalBytes: Int

    /// Bytes of whole batches in the log file.
    private(set) var size: Int
    /// The offset the next appended record gets.
    private(set) var nextOffset: Offset
    /// The newest record timestamp in the segment, -1 when empty.
    private(set) var maxTimestamp: Int64 = -1
    /// Wall-clock time of the first append into this segment since it was opened or created,
    /// the start of its age for rolling.
    var rollClockStart: Int64?
    /// Wall-clock time this segment was last written: the file's modification time when
    /// opened, then each append's time. Time-based retention waits for it as well as for the
    /// newest record timestamp (see `PartitionLog.enforceRetention`).
    var lastWrite: Int64
    private(set) var offsetIndex = OffsetIndex()
    private(set) var timeIndex = TimeIndex()
    /// Whether the indexes are in memory. Sealed segments drop them (`unloadIndexes`) and read
    /// them back from their files when a lookup needs them, so memory does not grow with the
    /// number of segments.
    private(set) var indexesLoaded = true
    private var bytesSinceIndexEntry = 0
    /// Whether the indexes have entries not yet written to their files.
    private var indexesDirty = false
    /// Opened read-only: the files are never written (indexes are rebuilt in memory only).
    private let readOnly: Bool

    static func fileName(_ base: Offset, _ suffix: String) -> String {
        let digits = String(base.rawValue)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    /// The base offset a segment file name encodes, or nil for other files.
    static func baseOffset(fromLogFileName name: String) -> Offset? {
        guard name.hasSuffix(".log"), name.count == 24, let value = Int64(name.dropLast(4)) else { return nil }
        return Offset(value)
    }

    /// Opens (or creates, when `create`) the segment with this base offset. The contents are
    /// not examined: call `loadIndexes` or `recover` next.
    init(directory: String, baseOffset: Offset, indexIntervalBytes: Int, create: Bool, readOnly: Bool = false) throws(LogError) {
        self.baseOffset = baseOffset
        self.readOnly = readOnly
        logPath = directory + "/" + Self.fileName(baseOffset, ".log")
        indexPath = directory + "/" + Self.fileName(baseOffset, ".index")
        timeIndexPath = directory + "/" + Self.fileName(baseOffset, ".timeindex")
        self.indexIntervalBytes = indexIntervalBytes
        file = try FileDescriptor(path: logPath, create: create && !readOnly, writable: !readOnly)
        size = try file.size()
        lastWrite = try file.modificationTime()
        nextOffset = baseOffset
        if create { indexesDirty = true }
    }

    var isEmpty: Bool { size == 0 }

    // MARK: - Appending

    /// Appends one batch whose base offset is already `nextOffset`. On a failed write the
    /// file is cut back to its previous size, so no partial batch stays behind.
    func append(_ batch: [UInt8], header: RecordBatchHeader) throws(LogError) {
        precondition(header.baseOffset == nextOffset, "batches must be contiguous")
        let position = size
        do {
            try file.write(batch, at: position)
        } catch {
            try? file.truncate(to: position)
            throw error
        }
        noteBatch(header, at: position)
    }

    /// Updates sizes and indexes for a batch now stored at `position`.
    private func noteBatch(_ header: RecordBatchHeader, at position: Int) {
        let relative = UInt32(header.baseOffset - baseOffset)
        if position == 0 || bytesSinceIndexEntry >= indexIntervalBytes {
            offsetIndex.append(relativeOffset: relative, position: UInt32(position))
            if maxTimestamp >= 0 { timeIndex.append(timestamp: maxTimestamp, relativeOffset: relative) }
            bytesSinceIndexEntry = 0
            indexesDirty = true
        }
        bytesSinceIndexEntry += header.totalSize
        size = position + header.totalSize
        nextOffset = header.nextOffset
        maxTimestamp = max(maxTimestamp, header.maxTimestamp)
    }

    // MARK: - Opening

    /// Whether a whole, valid batch lies anywhere after the damaged one at `position`: then
    /// the damage is in the middle of the data (a flipped bit, a stray write), not a tail torn
    /// by a crash, and must not be cut away. Tried first through the damaged batch's own
    /// length, then, when its header is damaged too, at every later byte whose magic byte is 2
    /// (only on recovery from damage; the CRC-32C decides).
    func validBatchFollows(damageAt position: Int) throws(LogError) -> Bool {
        let fileSize = try file.size()
        if let damaged = try? readHeader(at: position), damaged.totalSize > 0, try batchIsValid(at: position + damaged.totalSize, fileSize) {
            return true
        }
        let window = 4 << 20
        var start = position + 1
        while start + RecordBatchHeader.size <= fileSize {
            let chunk = try file.read(count: min(window + RecordBatchHeader.size, fileSize - start), at: start)
            // Batches that lie within the chunk are checked in memory; only one that runs past
            // its end is read from the file.
            var longer: [Int] = []
            let found = chunk.withUnsafeBytes { raw in
                var index = 0
                while index + RecordBatchHeader.size <= raw.count && index < window {
                    defer { index += 1 }
                    // Most bytes are ruled out by the magic byte and a length that fits the file.
                    guard raw[index + 16] == 2 else { continue }
                    let length = Int(raw[index + 8]) << 24 | Int(raw[index + 9]) << 16 | Int(raw[index + 10]) << 8 | Int(raw[index + 11])
                    guard length >= RecordBatchHeader.size - RecordBatchHeader.logOverhead,
                          start + index + RecordBatchHeader.logOverhead + length <= fileSize,
                          let header = try? RecordBatchHeader.parse(raw, at: index) else { continue }
                    if index + header.totalSize > raw.count {
                        longer.append(start + index)
                    } else if (try? RecordBatch.validate(raw, at: index)) != nil {
                        return true
                    }
                }
                return false
            }
            if found { return true }
            for candidate in longer where try batchIsValid(at: candidate, fileSize) { return true }
            start += window
        }
        return false
    }

    private func batchIsValid(at position: Int, _ fileSize: Int) throws(LogError) -> Bool {
        guard position + RecordBatchHeader.size <= fileSize, let header = try? readHeader(at: position),
              header.totalSize >= RecordBatchHeader.size, position + header.totalSize <= fileSize else { return false }
        let bytes = try file.read(count: header.totalSize, at: position)
        return (try? bytes.withRawBytes { (raw) throws(WireError) in try RecordBatch.validate(raw) }) != nil
    }

    /// Records in the batch headers readable from `position` on (what a cut there drops, at
    /// least: a torn batch counts the records its header announces).
    func recordsInHeaders(from position: Int) throws(LogError) -> Int {
        let fileSize = try file.size()
        var records = 0
        var at = position
        while at + RecordBatchHeader.size <= fileSize, let header = try? readHeader(at: at), header.totalSize > 0 {
            records += Int(header.recordsCount)
            at += header.totalSize
        }
        return records
    }

    /// What a scan of the log file found.
    struct ScanResult {
        /// Bytes of valid, contiguous batches from the start of the file.
        var validSize: Int
        /// Why the scan stopped before the end of the file, if it did.
        var problem: WireError?
    }

    /// Rebuilds the indexes, the next offset and the maximum timestamp from the log file.
    ///
    /// With `validateChecksums`, every batch's CRC is checked (recovery after an unclean
    /// shutdown); otherwise only headers and offset continuity. Returns where the valid data
    /// ends and why, without truncating anything.
    func rebuild(validateChecksums: Bool) throws(LogError) -> ScanResult {
        offsetIndex = OffsetIndex()
        timeIndex = TimeIndex()
        bytesSinceIndexEntry = 0
        maxTimestamp = -1
        nextOffset = baseOffset
        let fileSize = try file.size()
        size = 0
        var scanner = SegmentScanner(file: file, fileSize: fileSize, validateChecksums: validateChecksums)
        while let (position, header) = try scanner.next() {
            guard header.baseOffset == nextOffset else {
                return ScanResult(
                    validSize: position,
                    problem: WireError(.malformed, "batch base offset \(header.baseOffset), expected \(nextOffset)", at: position)
                )
            }
            noteBatch(header, at: position)
        }
        indexesDirty = true
        return ScanResult(validSize: size, problem: scanner.problem)
    }

    /// Loads the index files written at the last clean close and finds the log end by walking
    /// the batch headers after the last index entry. Returns false when the indexes are
    /// missing or implausible or the walk does not end exactly at the end of the file; the
    /// caller then rebuilds.
    func loadIndexes() throws(LogError) -> Bool {
        let fileSize = try file.size()
        guard FileSystem.exists(indexPath), FileSystem.exists(timeIndexPath),
              let offsets = OffsetIndex.decode(try FileSystem.readAll(indexPath), logSize: max(fileSize, 1)),
              let times = TimeIndex.decode(try FileSystem.readAll(timeIndexPath))
        else { return false }
        if fileSize > 0 && offsets.count == 0 { return false }
        offsetIndex = offsets
        timeIndex = times
        maxTimestamp = times.timestamps.last ?? -1
        var position = offsets.positions.last.map(Int.init) ?? 0
        var expected = baseOffset + Int64(offsets.relativeOffsets.last ?? 0)
        bytesSinceIndexEntry = 0
        while position < fileSize {
            guard let header = try? readHeader(at: position), header.baseOffset == expected,
                  position + header.totalSize <= fileSize
            else { return false }
            bytesSinceIndexEntry += header.totalSize
            maxTimestamp = max(maxTimestamp, header.maxTimestamp)
            expected = header.nextOffset
            position += header.totalSize
        }
        size = fileSize
        nextOffset = expected
        return true
    }

    /// Cuts the log file to `validSize` bytes and drops index entries past it.
    func truncate(to validSize: Int) throws(LogError) {
        try file.truncate(to: validSize)
        size = validSize
        offsetIndex.truncate(toPosition: validSize)
        indexesDirty = true
    }

    // MARK: - Reading

    func readHeader(at position: Int) throws(LogError) -> RecordBatchHeader {
        let bytes = try file.read(count: RecordBatchHeader.size, at: position)
        do {
            return try bytes.withRawBytes { (raw) throws(WireError) in try RecordBatchHeader.parse(raw) }
        } catch {
            throw LogError(.corruptSegment, "bad batch header at byte \(position): \(error.message)", path: logPath)
        }
    }

    /// Calls `body` with the header of every batch from file position `position` on, without
    /// checksums (the segment was recovered or closed cleanly); `SegmentScanner` reads headers
    /// alone after large batches, chunks of the file otherwise.
    func forEachHeader(from position: Int, _ body: (RecordBatchHeader) throws(LogError) -> Void) throws(LogError) {
        var scanner = SegmentScanner(file: file, fileSize: size, validateChecksums: false, from: position)
        while let (_, header) = try scanner.next() { try body(header) }
        if let problem = scanner.problem {
            throw LogError(.corruptSegment, "bad batch at byte \(problem.offset): \(problem.message)", path: logPath)
        }
    }

    /// The file position of the batch that contains `offset`, or nil when the offset is at or
    /// past this segment's end.
    func position(ofBatchContaining offset: Offset) throws(LogError) -> Int? {
        guard offset >= baseOffset, offset < nextOffset else { return nil }
        var position = try indexedPosition(for: UInt32(offset - baseOffset))
        while position < size {
            let header = try readHeader(at: position)
            if header.nextOffset > offset { return position }
            position += header.totalSize
        }
        return nil
    }

    /// The position of the index entry at or before `relativeOffset`, checked against the
    /// batch header it points to. An entry that points anywhere else means the index file was
    /// damaged after it was loaded or passed the load checks: it is rebuilt from the log.
    private func indexedPosition(for relativeOffset: UInt32) throws(LogError) -> Int {
        try ensureIndexesLoaded()
        let entry = offsetIndex.floorEntry(for: relativeOffset)
        if entry.position == 0 { return 0 }
        if entry.position < size, let header = try? readHeader(at: entry.position),
           header.baseOffset == baseOffset + Int64(entry.relativeOffset) {
            return entry.position
        }
        let scan = try rebuild(validateChecksums: false)
        if let problem = scan.problem {
            throw LogError(.corruptSegment, "cannot rebuild index: \(problem)", path: logPath)
        }
        return offsetIndex.floorEntry(for: relativeOffset).position
    }

    /// Whole batches starting at `position` and ending by `limit` (a batch boundary; the
    /// segment's size by default): as many as fit in `maxBytes`, and always at least the first
    /// one even when it alone is larger.
    ///
    /// Every batch handed out has passed its CRC-32C check here, whatever was checked when the
    /// segment was opened: a batch damaged on the disk since (bit rot, a stray write) ends the
    /// read before it, and a read that starts at it throws `corruptSegment` naming the file,
    /// the byte and the offset. Nothing corrupt reaches a Fetch, a consumer or `--resume`.
    func read(from position: Int, maxBytes: Int, upTo limit: Int? = nil) throws(LogError) -> [UInt8] {
        let limit = min(limit ?? size, size)
        guard position < limit else { return [] }
        let first = try readHeader(at: position)
        let want = min(limit - position, max(maxBytes, first.totalSize))
        var bytes = try file.read(count: want, at: position)
        var end = 0
        var damage: WireError?
        bytes.withUnsafeBytes { raw in
            while end + RecordBatchHeader.size <= raw.count,
                  let header = try? RecordBatchHeader.parse(raw, at: end),
                  end + header.totalSize <= raw.count {
                do throws(WireError) {
                    try RecordBatch.validate(raw, at: end)
                } catch {
                    damage = error
                    break
                }
                end += header.totalSize
            }
        }
        guard end > 0 else {
            let reason = damage.map { "fails its check (\($0.message))" } ?? "runs past the end of the segment"
            throw LogError(.corruptSegment, "batch at byte \(position) (offset \(first.baseOffset)) \(reason)", path: logPath)
        }
        if end < bytes.count { bytes.removeSubrange(end...) }
        return bytes
    }

    /// The offset of the first record at or past `lowest` whose timestamp is at least
    /// `timestamp`, or nil when every such record here is older.
    func firstOffset(atOrAfter timestamp: Int64, from lowest: Offset = .zero) throws(LogError) -> Offset? {
        guard maxTimestamp >= timestamp, nextOffset > lowest else { return nil }
        try ensureIndexesLoaded()
        var position = try indexedPosition(for: timeIndex.floorOffset(before: timestamp))
        if lowest > baseOffset, let atLowest = try self.position(ofBatchContaining: lowest) { position = max(position, atLowest) }
        while position < size {
            let header = try readHeader(at: position)
            if header.maxTimestamp >= timestamp, header.lastOffset >= lowest {
                let batch = try file.read(count: header.totalSize, at: position)
                guard header.compression == 0 else { return max(header.baseOffset, lowest) }
                do {
                    var found: Offset?
                    try RecordBatch.forEachRecord(in: batch) { record in
                        if found == nil, record.offset >= lowest, record.timestamp >= timestamp { found = record.offset }
                    }
                    guard let found else { position += header.totalSize; continue }
                    return found
                } catch {
                    throw LogError(.corruptSegment, "undecodable batch at byte \(position): \(error.message)", path: logPath)
                }
            }
            position += header.totalSize
        }
        return nil
    }

    // MARK: - Persistence

    /// Writes the indexes if needed and frees their memory (for sealed segments).
    func unloadIndexes() throws(LogError) {
        try writeIndexes()
        offsetIndex = OffsetIndex()
        timeIndex = TimeIndex()
        indexesLoaded = false
    }

    /// Reads unloaded indexes back from their files, rebuilding them from the log when the
    /// files are missing or damaged.
    func ensureIndexesLoaded() throws(LogError) {
        guard !indexesLoaded else { return }
        let fileSize = size
        if let offsets = OffsetIndex.decode(try FileSystem.readAllIfPresent(indexPath), logSize: max(fileSize, 1)),
           let times = TimeIndex.decode(try FileSystem.readAllIfPresent(timeIndexPath)),
           fileSize == 0 || offsets.count > 0 {
            offsetIndex = offsets
            timeIndex = times
            indexesLoaded = true
            return
        }
        indexesLoaded = true
        let scan = try rebuild(validateChecksums: false)
        if let problem = scan.problem {
            throw LogError(.corruptSegment, "cannot rebuild index: \(problem)", path: logPath)
        }
    }

    /// Writes the in-memory indexes to their files if they changed.
    func writeIndexes() throws(LogError) {
        guard indexesDirty, indexesLoaded, !readOnly else { return }
        try FileSystem.writeAtomically(offsetIndex.encode(), to: indexPath, sync: false)
        try FileSystem.writeAtomically(timeIndex.encode(), to: timeIndexPath, sync: false)
        indexesDirty = false
    }

    func sync() throws(LogError) { try file.sync() }

    /// Deletes the segment's three files.
    func deleteFiles() throws(LogError) {
        try FileSystem.remove(logPath)
        try FileSystem.remove(indexPath)
        try FileSystem.remove(timeIndexPath)
    }
}
