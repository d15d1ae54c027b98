/// Encodes records into one uncompressed RecordBatch v2.
///
/// Records are written straight into the final buffer (each record's size is computed before
/// it is written), then `build()` fills in the header and the CRC-32C. The base offset is 0;
/// the log assigns the real one on append.
public struct RecordBatchBuilder: Sendable {
    private var writer: ByteWriter
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
        writer = ByteWriter(capacity: max(capacity, RecordBatchHeader.size))
        writer.write(contentsOf: repeatElement(0, count: RecordBatchHeader.size))
    }

    /// Bytes the batch takes so far, header included.
    public var sizeInBytes: Int { writer.count }
    public var isEmpty: Bool { recordCount == 0 }

    public mutating func append(key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = [], timestamp: Int64) {
        let timestampDelta = timestamp - baseTimestamp
        let offsetDelta = Int64(recordCount)
        var bodySize = 1 + zigzagVarintSize(timestampDelta) + zigzagVarintSize(offsetDelta)
        bodySize += fieldSize(key?.count) + fieldSize(value?.count)
        bodySize += zigzagVarintSize(Int64(headers.count))
        for header in headers {
            bodySize += fieldSize(header.key.utf8.count) + fieldSize(header.value?.count)
        }
        writer.writeVarint(Int64(bodySize))
        writer.write(Int8(0))
        writer.writeVarint(timestampDelta)
        writer.writeVarint(offsetDelta)
        writeField(key)
        writeField(value)
        writer.writeVarint(Int64(headers.count))
        for header in headers {
            writeField(Array(header.key.utf8))
            writeField(header.value)
        }
        recordCount += 1
        if timestamp > maxTimestamp { maxTimestamp = timestamp }
    }

    private func fieldSize(_ count: Int?) -> Int {
        guard let count else { return 1 }
        return zigzagVarintSize(Int64(count)) + count
    }

    private mutating func writeField(_ data: [UInt8]?) {
        guard let data else { return writer.writeVarint(-1) }
        writer.writeVarint(Int64(data.count))
        writer.write(contentsOf: data)
    }

    /// Finishes the batch: header fields, then the CRC over bytes 21 ..< end.
    public consuming func build() -> [UInt8] {
        var bytes = writer.take()
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
