/// The fixed 61-byte header of a Kafka RecordBatch v2 (magic 2).
///
/// Layout, big-endian (see the Kafka protocol guide, "Record Batch"):
///
/// | byte | field | type |
/// | --- | --- | --- |
/// | 0 | baseOffset | int64 |
/// | 8 | batchLength | int32, bytes after this field |
/// | 12 | partitionLeaderEpoch | int32 |
/// | 16 | magic | int8 = 2 |
/// | 17 | crc | uint32, CRC-32C of bytes 21 ..< end |
/// | 21 | attributes | int16: bits 0-2 compression, 3 log-append time, 4 transactional, 5 control |
/// | 23 | lastOffsetDelta | int32 |
/// | 27 | baseTimestamp | int64 |
/// | 35 | maxTimestamp | int64 |
/// | 43 | producerId | int64, -1 for none |
/// | 51 | producerEpoch | int16 |
/// | 53 | baseSequence | int32 |
/// | 57 | recordsCount | int32 |
/// | 61 | records | |
///
/// `baseOffset` and `partitionLeaderEpoch` lie outside the CRC, so a broker assigns offsets by
/// rewriting the first eight bytes without recomputing the checksum.
public struct RecordBatchHeader: Hashable, Sendable {
    public static let size = 61
    /// Bytes before `batchLength`'s coverage starts: baseOffset and batchLength themselves.
    public static let logOverhead = 12
    static let crcStart = 21

    public var baseOffset: Offset
    public var batchLength: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: Int16
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordsCount: Int32

    /// The batch's whole size on disk and on the wire.
    public var totalSize: Int { Int(batchLength) + Self.logOverhead }
    public var lastOffset: Offset { baseOffset + Int64(lastOffsetDelta) }
    /// The offset after the batch's last record: the log end once the batch is appended.
    public var nextOffset: Offset { lastOffset + 1 }
    /// 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
    public var compression: Int { Int(attributes & 0x7) }
    public var isControl: Bool { attributes & 0x20 != 0 }
    public var isTransactional: Bool { attributes & 0x10 != 0 }

    /// Reads a header at `position`, checking only that the fields are plausible; the CRC is
    /// checked by `RecordBatch.validate`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) throws(WireError) -> RecordBatchHeader {
        var reader = ByteReader(bytes, position: position)
        guard reader.remaining >= size else {
            throw WireError(.truncated, "a batch header needs \(size) bytes, \(max(0, reader.remaining)) left", at: position)
        }
        let header = RecordBatchHeader(
            baseOffset: Offset(try reader.readInt64()),
            batchLength: try reader.readInt32(),
            partitionLeaderEpoch: try reader.readInt32(),
            magic: try reader.readInt8(),
            crc: try reader.readUInt32(),
            attributes: try reader.readInt16(),
            lastOffsetDelta: try reader.readInt32(),
            baseTimestamp: try reader.readInt64(),
            maxTimestamp: try reader.readInt64(),
            producerId: try reader.readInt64(),
            producerEpoch: try reader.readInt16(),
            baseSequence: try reader.readInt32(),
            recordsCount: try reader.readInt32()
        )
        guard header.magic == 2 else {
            throw WireError(.unsupportedMagic, "magic byte \(header.magic), only RecordBatch v2 (magic 2) is supported", at: position + 16)
        }
        guard Int(header.batchLength) >= size - logOverhead else {
            throw WireError(.malformed, "batch length \(header.batchLength) is shorter than a batch header", at: position + 8)
        }
        guard header.lastOffsetDelta >= 0, header.recordsCount >= 0 else {
            throw WireError(.malformed, "negative record count or offset delta", at: position + 23)
        }
        // Offsets past the batch must be representable: `nextOffset` never overflows.
        guard header.baseOffset.rawValue <= Int64.max - Int64(header.lastOffsetDelta) - 1 else {
            throw WireError(.malformed, "base offset \(header.baseOffset) is out of range", at: position)
        }
        return header
    }
}
