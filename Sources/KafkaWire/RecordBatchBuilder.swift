/// Encodes records into one uncompressed RecordBatch v2.
///
/// Records are written straight into the final buffer (each record's size is computed before
/// it is written), then `build()` fills in the header and the CRC-32C. The base offset is 0;
/// the log assigns the real one on append.
public struct RecordBatchBuilder: Sendable {
    /// Zero-filled storage, grown geometrically; `used` bytes of it are the batch so far.
    private var storage: [UInt8]
    private var used = RecordBatchHeader.size
    private let baseTimestamp: Int64
    private var maxTimestamp: Int64
    public private(set) var recordCount: Int32 = 0
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32

    /// - Parameters:
    ///   - baseTimestamp: milliseconds since the epoch; record timestamps are stored relative to it.
    ///   - capacity: bytes to reserve (the expected batch size).
    public init(
        baseTimestamp: Int64, capacity: Int = 16_384,
        producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1
    ) {
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = baseTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        storage = [UInt8](repeating: 0, count: max(capacity, RecordBatchHeader.size))
    }

    /// Bytes the batch takes so far, header included.
    public var sizeInBytes: Int { used }
    public var isEmpty: Bool { recordCount == 0 }

    public mutating func append(key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = [], timestamp: Int64) {
        let timestampDelta = timestamp - baseTimestamp
        let offsetDelta = Int64(recordCount)
        var bodySize = 1 + zigzagVarintSize(timestampDelta) + zigzagVarintSize(offsetDelta)
        bodySize += Self.fieldSize(key?.count) + Self.fieldSize(value?.count)
        bodySize += zigzagVarintSize(Int64(headers.count))
        for header in headers {
            bodySize += Self.fieldSize(header.key.utf8.count) + Self.fieldSize(header.value?.count)
        }
        let total = zigzagVarintSize(Int64(bodySize)) + bodySize
        // Grow once, then write through a raw pointer: no per-byte capacity checks.
        if used + total > storage.count {
            storage.append(contentsOf: [UInt8](repeating: 0, count: Swift.max(storage.count, total)))
        }
        let start = used
        storage.withUnsafeMutableBytes { raw in
            var cursor = RawCursor(UnsafeMutableRawBufferPointer(rebasing: raw[start ..< start + total]))
            cursor.varint(Int64(bodySize))
            cursor.byte(0)
            cursor.varint(timestampDelta)
            cursor.varint(offsetDelta)
            cursor.field(key)
            cursor.field(value)
            cursor.varint(Int64(headers.count))
            for header in headers {
                cursor.field(Array(header.key.utf8))
                cursor.field(header.value)
            }
            assert(cursor.position == total)
        }
        used += total
        recordCount += 1
        if timestamp > maxTimestamp { maxTimestamp = timestamp }
    }

    private static func fieldSize(_ count: Int?) -> Int {
        guard let count else { return 1 }
        return zigzagVarintSize(Int64(count)) + count
    }

    /// Finishes the batch: header fields, then the CRC over bytes 21 ..< end.
    public consuming func build() -> [UInt8] {
        var bytes: [UInt8] = []
        swap(&bytes, &storage)
        bytes.removeSubrange(used...)
        var header = ByteWriter(capacity: RecordBatchHeader.size)
        header.write(Int64(0))
        header.write(Int32(bytes.count - RecordBatchHeader.logOverhead))
        header.write(Int32(0))  // partition leader epoch
        header.write(Int8(2))
        header.write(UInt32(0))  // CRC, filled below
        header.write(Int16(0))  // attributes: no compression, create time
        header.write(Int32(max(0, recordCount - 1)))
        header.write(baseTimestamp)
        header.write(maxTimestamp)
        header.write(producerId)
        header.write(producerEpoch)
        header.write(baseSequence)
        header.write(recordCount)
        bytes.replaceSubrange(0 ..< RecordBatchHeader.size, with: header.bytes)
        let crc = bytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatchHeader.crcStart...]))
        }
        var crcWriter = ByteWriter(capacity: 4)
        crcWriter.write(crc)
        bytes.replaceSubrange(17 ..< 21, with: crcWriter.bytes)
        return bytes
    }
}

/// Writes varints and byte fields into memory already sized for them.
struct RawCursor {
    let base: UnsafeMutableRawBufferPointer
    var position = 0

    init(_ base: UnsafeMutableRawBufferPointer) { self.base = base }

    mutating func byte(_ value: UInt8) {
        base[position] = value
        position += 1
    }

    mutating func varint(_ value: Int64) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            byte(UInt8(truncatingIfNeeded: zigzag) | 0x80)
            zigzag >>= 7
        }
        byte(UInt8(zigzag))
    }

    mutating func field(_ data: [UInt8]?) {
        guard let data else { return varint(-1) }
        varint(Int64(data.count))
        data.withUnsafeBytes { source in
            if let address = source.baseAddress, source.count > 0 {
                (base.baseAddress! + position).copyMemory(from: address, byteCount: source.count)
            }
        }
        position += data.count
    }
}
