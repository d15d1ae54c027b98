/// Operations on RecordBatch v2 bytes: validation, offset assignment, iteration, decoding.
///
/// A batch is kept as the exact bytes a Kafka Fetch serves; `RecordBatchHeader` documents the
/// layout. These functions never copy a batch.
public enum RecordBatch {
    /// The fewest bytes an uncompressed record takes: one byte each for its length,
    /// attributes, timestamp delta, offset delta, key length, value length and header count.
    public static let minimumRecordBytes = 7
    /// Checks the header and the CRC-32C of the batch starting at `position`, which must be
    /// complete within `bytes`. Returns the header.
    @discardableResult
    public static func validate(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) throws(WireError) -> RecordBatchHeader {
        let header = try RecordBatchHeader.parse(bytes, at: position)
        let end = position + header.totalSize
        guard end <= bytes.count else {
            throw WireError(.truncated, "batch of \(header.totalSize) bytes has only \(bytes.count - position)", at: position)
        }
        let covered = UnsafeRawBufferPointer(rebasing: bytes[(position + RecordBatchHeader.crcStart) ..< end])
        let actual = CRC32C.checksum(covered)
        guard actual == header.crc else {
            throw WireError(
                .checksumMismatch,
                "stored CRC-32C \(hex(header.crc)) but the bytes give \(hex(actual))",
                at: position
            )
        }
        return header
    }

    /// Validates a whole buffer of back-to-back batches, returning their headers.
    public static func validateAll(_ bytes: [UInt8]) throws(WireError) -> [RecordBatchHeader] {
        var headers: [RecordBatchHeader] = []
        var position = 0
        try bytes.withRawBytes { (raw) throws(WireError) in
            while position < raw.count {
                let header = try validate(raw, at: position)
                headers.append(header)
                position += header.totalSize
            }
        }
        return headers
    }

    /// Rewrites the base offset of the batch at `position` (outside the CRC: no re-checksum).
    public static func setBaseOffset(_ offset: Offset, in bytes: inout [UInt8], at position: Int = 0) {
        let raw = UInt64(bitPattern: offset.rawValue)
        for index in 0 ..< 8 {
            bytes[position + index] = UInt8(truncatingIfNeeded: raw >> UInt64(56 - index * 8))
        }
    }

    /// Decodes the records of the uncompressed batch at `position` in `bytes`.
    ///
    /// Keys and values are slices of `bytes`. Throws for compressed batches (stored batches
    /// pass through unchanged; only record-level readers need a codec) and for malformed
    /// records. The CRC is not checked here; call `validate` first for untrusted bytes.
    public static func records(in bytes: [UInt8], at position: Int = 0) throws(WireError) -> [BatchRecord] {
        var result: [BatchRecord] = []
        try forEachRecord(in: bytes, at: position) { result.append($0) }
        return result
    }

    /// Calls `body` for each record of the uncompressed batch at `position`, without
    /// collecting them.
    public static func forEachRecord(
        in bytes: [UInt8], at position: Int = 0, _ body: (BatchRecord) throws(WireError) -> Void
    ) throws(WireError) {
        try bytes.withRawBytes { (raw) throws(WireError) in
                let header = try RecordBatchHeader.parse(raw, at: position)
                guard header.compression == 0 else {
                    throw WireError(.unsupportedCompression, "batch uses compression codec \(header.compression)", at: position)
                }
                let end = position + header.totalSize
                guard end <= raw.count else {
                    throw WireError(.truncated, "batch of \(header.totalSize) bytes has only \(raw.count - position)", at: position)
                }
                var reader = ByteReader(UnsafeRawBufferPointer(rebasing: raw[0 ..< end]), position: position + RecordBatchHeader.size)
                for _ in 0 ..< header.recordsCount {
                    try body(try decodeRecord(&reader, header: header, bytes: bytes))
                }
        }
    }

    @inline(__always)
    static func decodeRecord(_ reader: inout ByteReader, header: RecordBatchHeader, bytes: [UInt8]) throws(WireError) -> BatchRecord {
        let start = reader.position
        let length = try reader.readVarint()
        guard length >= 0, Int(length) <= reader.remaining else {
            throw WireError(.malformed, "record length \(length) exceeds the batch", at: start)
        }
        let recordEnd = reader.position + Int(length)
        _ = try reader.readInt8()  // attributes, unused in v2
        let timestampDelta = try reader.readVarint()
        let offsetDelta = try reader.readVarint()
        guard offsetDelta >= 0, offsetDelta <= Int64(header.lastOffsetDelta) else {
            throw WireError(.malformed, "offset delta \(offsetDelta) outside the batch's 0 ... \(header.lastOffsetDelta)", at: start)
        }
        let key = try readField(&reader, bytes: bytes)
        let value = try readField(&reader, bytes: bytes)
        let headerCount = try reader.readVarint()
        guard headerCount >= 0, headerCount <= Int64(reader.remaining) else {
            throw WireError(.malformed, "header count \(headerCount)", at: reader.position)
        }
        var headers: [RecordHeader] = []
        if headerCount > 0 {
            headers.reserveCapacity(Int(headerCount))
            for _ in 0 ..< headerCount {
                guard let name = try readField(&reader, bytes: bytes) else {
                    throw WireError(.malformed, "null header key", at: reader.position)
                }
                let headerValue = try readField(&reader, bytes: bytes)
                headers.append(RecordHeader(key: String(decoding: name, as: UTF8.self), value: headerValue.map(Array.init)))
            }
        }
        guard reader.position == recordEnd else {
            throw WireError(.malformed, "record fields end at \(reader.position), its length says \(recordEnd)", at: start)
        }
        // Java's long arithmetic: a delta the sender chose may wrap, never trap.
        let timestamp = header.attributes & 0x8 != 0 ? header.maxTimestamp : header.baseTimestamp &+ timestampDelta
        return BatchRecord(
            offset: header.baseOffset + offsetDelta, timestamp: timestamp, key: key, value: value, headers: headers
        )
    }

    @inline(__always)
    static func readField(_ reader: inout ByteReader, bytes: [UInt8]) throws(WireError) -> ArraySlice<UInt8>? {
        let length = try reader.readVarint()
        if length < 0 { return nil }
        guard length <= Int64(reader.remaining) else {
            throw WireError(.malformed, "field length \(length) exceeds the record", at: reader.position)
        }
        let range = try reader.skip(Int(length))
        return bytes[range]
    }
}

func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
