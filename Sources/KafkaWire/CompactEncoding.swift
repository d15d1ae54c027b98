/// The compact encodings of flexible API versions: unsigned-varint lengths stored plus one
/// (0 is null), and a tagged-field section closing every structure. This broker sends no
/// tagged fields and skips the ones it receives.
extension ByteReader {
    /// A `COMPACT_NULLABLE_STRING`: unsigned varint length + 1 (0 for nil), then UTF-8.
    public mutating func readCompactNullableString() throws(WireError) -> String? {
        let start = position
        let stored = Int(try readUnsignedVarint())
        guard stored > 0 else { return nil }
        let range = try skip(stored - 1)
        guard let string = String(validating: buffer[range], as: UTF8.self) else {
            throw WireError(.malformed, "compact string of \(stored - 1) bytes is not valid UTF-8", at: start)
        }
        return string
    }

    /// A `COMPACT_STRING`; null is malformed.
    public mutating func readCompactString() throws(WireError) -> String {
        let start = position
        guard let string = try readCompactNullableString() else {
            throw WireError(.malformed, "null where a compact string is required", at: start)
        }
        return string
    }

    /// A `COMPACT_ARRAY` count (stored plus one; nil for a null array), checked against the
    /// bytes left before anything is allocated, as `readCount` checks int32 counts.
    public mutating func readCompactNullableCount(_ what: String, minimumElementBytes: Int) throws(WireError) -> Int? {
        let start = position
        let stored = Int(try readUnsignedVarint())
        guard stored > 0 else { return nil }
        guard stored - 1 <= remaining / max(1, minimumElementBytes) else {
            throw WireError(.malformed, "\(what) count \(stored - 1) does not fit the \(remaining) bytes left", at: start)
        }
        return stored - 1
    }

    /// Skips a tagged-field section.
    public mutating func skipTaggedFields() throws(WireError) { try TaggedFields.skip(&self) }
}

extension ByteWriter {
    /// An unsigned varint (lengths and counts of compact encodings).
    public mutating func writeUnsignedVarint(_ value: UInt32) {
        var rest = value
        while rest >= 0x80 {
            write(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        write(UInt8(rest))
    }

    /// A `COMPACT_STRING`.
    public mutating func writeCompactString(_ string: String) {
        let utf8 = Array(string.utf8)
        writeUnsignedVarint(UInt32(utf8.count + 1))
        write(contentsOf: utf8)
    }

    /// A `COMPACT_NULLABLE_STRING`: length 0 for nil.
    public mutating func writeCompactNullableString(_ string: String?) {
        guard let string else { return writeUnsignedVarint(0) }
        writeCompactString(string)
    }

    /// A `COMPACT_ARRAY` count.
    public mutating func writeCompactCount(_ count: Int) { writeUnsignedVarint(UInt32(count + 1)) }

    /// An empty tagged-field section.
    public mutating func writeNoTaggedFields() { writeUnsignedVarint(0) }
}
