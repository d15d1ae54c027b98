import KafkaWire

/// Walks the batches of a segment file in large chunks, for recovery, index rebuilds and
/// header replays.
///
/// Yields each complete batch's position and header; with `validateChecksums` a batch whose
/// CRC-32C fails stops the walk. When the walk stops early, `problem` says why: a torn batch at
/// the end of the file, a malformed header, or a checksum mismatch.
///
/// Checking checksums reads every byte, in chunks of `chunkSize`. Without them only headers are
/// needed: after a batch of `headerOnlyBatchBytes` or more the next header is read alone, so a
/// walk over large batches reads a few bytes per batch instead of the whole file.
struct SegmentScanner {
    static let chunkSize = 4 << 20
    static let headerOnlyBatchBytes = 4096

    private let file: FileDescriptor
    private let fileSize: Int
    private let validateChecksums: Bool
    private var chunk: [UInt8] = []
    private var chunkStart = 0
    private var position = 0
    private var lastBatchSize = 0
    private(set) var problem: WireError?

    init(file: FileDescriptor, fileSize: Int, validateChecksums: Bool, from position: Int = 0) {
        self.file = file
        self.fileSize = fileSize
        self.validateChecksums = validateChecksums
        self.position = position
        chunkStart = position
    }

    mutating func next() throws(LogError) -> (Int, RecordBatchHeader)? {
        guard problem == nil, position < fileSize else { return nil }
        guard fileSize - position >= RecordBatchHeader.size else {
            problem = WireError(.truncated, "\(fileSize - position) bytes at the end are less than a batch header", at: position)
            return nil
        }
        try ensure(RecordBatchHeader.size)
        let header: RecordBatchHeader
        do {
            header = try chunk.withRawBytes { (raw) throws(WireError) in
                try RecordBatchHeader.parse(raw, at: position - chunkStart)
            }
        } catch {
            problem = WireError(error.kind, error.message, at: position)
            return nil
        }
        guard position + header.totalSize <= fileSize else {
            problem = WireError(
                .truncated, "batch of \(header.totalSize) bytes has only \(fileSize - position) left in the file", at: position
            )
            return nil
        }
        if validateChecksums {
            try ensure(header.totalSize)
            do {
                try chunk.withRawBytes { (raw) throws(WireError) in
                    _ = try RecordBatch.validate(
                        UnsafeRawBufferPointer(rebasing: raw[(position - chunkStart) ..< (position - chunkStart + header.totalSize)])
                    )
                }
            } catch {
                problem = WireError(error.kind, error.message, at: position)
                return nil
            }
        }
        let found = (position, header)
        position += header.totalSize
        lastBatchSize = header.totalSize
        return found
    }

    /// Makes sure `count` bytes from `position` are in the chunk, reading a new one if not.
    private mutating func ensure(_ count: Int) throws(LogError) {
        if position >= chunkStart, position + count <= chunkStart + chunk.count { return }
        chunkStart = position
        let headerAlone = !validateChecksums && lastBatchSize >= Self.headerOnlyBatchBytes
        chunk = try file.read(count: min(fileSize - position, headerAlone ? count : max(count, Self.chunkSize)), at: position)
    }
}
