/// Reads big-endian integers, Kafka strings and zigzag varints from raw bytes.
///
/// Works over an `UnsafeRawBufferPointer` valid for the reader's lifetime (use it inside
/// `withUnsafeBytes`). Every read checks bounds and throws `WireError.truncated` rather than
/// trapping, because the bytes come from files and sockets.
public struct ByteReader {
    public let buffer: UnsafeRawBufferPointer
    public var position: Int

    public init(_ buffer: UnsafeRawBufferPointer, position: Int = 0) {
        self.buffer = buffer
        self.position = position
    }

    public var remaining: Int { buffer.count - position }
    public var isAtEnd: Bool { position >= buffer.count }


    mutating func need(_ count: Int, _ what: StaticString) throws(WireError) {
        if count < 0 || buffer.count - position < count {
            throw WireError(.truncated, "\(what) needs \(count) bytes, \(buffer.count - position) left", at: position)
        }
    }


    mutating func readBigEndian(width: Int, _ what: StaticString) throws(WireError) -> UInt64 {
        try need(width, what)
        var value: UInt64 = 0
        for index in position ..< position + width {
            value = value << 8 | UInt64(buffer[index])
        }
        position += width
        return value
    }

    public mutating func readInt8() throws(WireError) -> Int8 {
        try need(1, "int8")
        defer { position += 1 }
        return Int8(bitPattern: buffer[position])
    }

    public mutating func readInt16() throws(WireError) -> Int16 {
        Int16(bitPattern: UInt16(truncatingIfNeeded: try readBigEndian(width: 2, "int16")))
    }

    public mutating func readInt32() throws(WireError) -> Int32 {
        Int32(bitPattern: UInt32(truncatingIfNeeded: try readBigEndian(width: 4, "int32")))
    }

    public mutating func readUInt32() throws(WireError) -> UInt32 {
        UInt32(truncatingIfNeeded: try readBigEndian(width: 4, "uint32"))
    }

    public mutating func readInt64() throws(WireError) -> Int64 {
        Int64(bitPattern: try readBigEndian(width: 8, "int64"))
    }

    /// Skips `count` bytes, returning the range they occupy.
    public mutating func skip(_ count: Int) throws(WireError) -> Range<Int> {
        try need(count, "bytes")
        defer { position += count }
        return position ..< position + count
    }

    public mutating func readBytes(_ count: Int) throws(WireError) -> [UInt8] {
        let range = try skip(count)
        return Array(buffer[range])
    }

    /// A Kafka `STRING` (int16 length); a negative length is malformed.
    public mutating func readString() throws(WireError) -> String {
        guard let string = try readNullableString() else {
            throw WireError(.malformed, "null where a string is required", at: position - 2)
        }
        return string
    }

    /// A Kafka `NULLABLE_STRING` (int16 length, -1 for nil).
    public mutating func readNullableString() throws(WireError) -> String? {
        let length = Int(try readInt16())
        if length < 0 { return nil }
        let range = try skip(length)
        guard let string = String(validating: buffer[range], as: UTF8.self) else {
            throw WireError(.malformed, "string of \(length) bytes is not valid UTF-8", at: range.lowerBound - 2)
        }
        return string
    }

    /// Kafka `NULLABLE_BYTES` (int32 length, -1 for nil).
    public mutating func readNullableBytes() throws(WireError) -> [UInt8]? {
        let length = Int(try readInt32())
        if length < 0 { return nil }
        return try readBytes(length)
    }

    /// An int32 array count, checked before anything is allocated for it: not negative, and
    /// not more elements than the remaining bytes could hold at `minimumElementBytes` each.
    public mutating func readCount(_ what: String, minimumElementBytes: Int) throws(WireError) -> Int {
        let start = position
        let count = Int(try readInt32())
        guard count >= 0, count <= remaining / max(1, minimumElementBytes) else {
            throw WireError(.malformed, "\(what) count \(count) does not fit the \(remaining) bytes left", at: start)
        }
        return count
    }

    /// An int32 array count that may be -1 (a null array, returned as nil); otherwise checked
    /// as `readCount` checks it.
    public mutating func readNullableCount(_ what: String, minimumElementBytes: Int) throws(WireError) -> Int? {
        let start = position
        guard try readInt32() != -1 else { return nil }
        position = start
        return try readCount(what, minimumElementBytes: minimumElementBytes)
    }

    /// An array of strings (int32 count, then int16-length strings).
    public mutating func readStringArray(_ what: String) throws(WireError) -> [String] {
        let count = try readCount(what, minimumElementBytes: 2)
        var strings: [String] = []
        strings.reserveCapacity(count)
        for _ in 0 ..< count { strings.append(try readString()) }
        return strings
    }

    /// A boolean: one byte, anything but 0 is true.
    public mutating func readBool() throws(WireError) -> Bool { try readInt8() != 0 }

    /// A zigzag-encoded signed varint of at most 10 bytes.

    public mutating func readVarint() throws(WireError) -> Int64 {
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            guard position < buffer.count else {
                throw WireError(.truncated, "varint runs past the end", at: start)
            }
            let byte = buffer[position]
            position += 1
            raw |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            if shift > 63 { throw WireError(.malformed, "varint longer than 10 bytes", at: start) }
        }
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }
}
