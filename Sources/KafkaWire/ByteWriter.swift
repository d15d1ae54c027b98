/// Appends big-endian integers, Kafka strings and zigzag varints to a growing byte array.
///
/// A value type over `[UInt8]`; reserve capacity up front when the size is known.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func write(_ value: Int8) { bytes.append(UInt8(bitPattern: value)) }
    public mutating func write(_ value: UInt8) { bytes.append(value) }
    public mutating func write(_ value: Int16) { writeBigEndian(UInt64(UInt16(bitPattern: value)), width: 2) }
    public mutating func write(_ value: Int32) { writeBigEndian(UInt64(UInt32(bitPattern: value)), width: 4) }
    public mutating func write(_ value: UInt32) { writeBigEndian(UInt64(value), width: 4) }
    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }
    public mutating func write(_ value: Int64) { writeBigEndian(UInt64(bitPattern: value), width: 8) }


    mutating func writeBigEndian(_ value: UInt64, width: Int) {
        var shift = (width - 1) * 8
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            shift -= 8
        }
    }

    public mutating func write<Bytes: Sequence<UInt8>>(contentsOf data: Bytes) { bytes.append(contentsOf: data) }

    /// A Kafka `STRING`: int16 length then UTF-8 bytes. A string longer than the format's
    /// 32,767 bytes (only an error message quoting a huge name could be) is cut at the last
    /// whole character that fits.
    public mutating func writeString(_ string: String) {
        var utf8 = Array(string.utf8)
        if utf8.count > Int(Int16.max) {
            var end = Int(Int16.max)
            while end > 0, utf8[end] & 0xC0 == 0x80 { end -= 1 }  // not inside a character
            utf8.removeSubrange(end...)
        }
        write(Int16(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A Kafka `NULLABLE_STRING`: length -1 for nil.
    public mutating func writeNullableString(_ string: String?) {
        guard let string else { return write(Int16(-1)) }
        writeString(string)
    }

    /// Kafka `BYTES` / `NULLABLE_BYTES`: int32 length (-1 for nil) then the bytes.
    public mutating func writeBytes(_ data: [UInt8]?) {
        guard let data else { return write(Int32(-1)) }
        write(Int32(data.count))
        bytes.append(contentsOf: data)
    }

    /// A zigzag-encoded signed varint (the record format's `varint` / `varlong`).

    public mutating func writeVarint(_ value: Int64) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: zigzag) | 0x80)
            zigzag >>= 7
        }
        bytes.append(UInt8(zigzag))
    }

    /// Overwrites four bytes at `index` with a big-endian value (for lengths written last).
    public mutating func patch(_ value: Int32, at index: Int) {
        let raw = UInt32(bitPattern: value)
        bytes[index] = UInt8(truncatingIfNeeded: raw >> 24)
        bytes[index + 1] = UInt8(truncatingIfNeeded: raw >> 16)
        bytes[index + 2] = UInt8(truncatingIfNeeded: raw >> 8)
        bytes[index + 3] = UInt8(truncatingIfNeeded: raw)
    }

    /// The per-topic, per-partition arrays most responses carry: topic count, then for each
    /// topic its name, its partition count and each partition as `writePartition` writes it.
    public mutating func writeTopics<Partition>(
        _ topics: [(name: String, partitions: [Partition])], _ writePartition: (inout ByteWriter, Partition) -> Void
    ) {
        write(Int32(topics.count))
        for topic in topics {
            writeString(topic.name)
            write(Int32(topic.partitions.count))
            for partition in topic.partitions { writePartition(&self, partition) }
        }
    }

    /// The bytes written, leaving the writer empty.
    public mutating func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }
}

/// The number of bytes a zigzag varint takes.

public func zigzagVarintSize(_ value: Int64) -> Int {
    var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
    var size = 1
    while zigzag >= 0x80 {
        zigzag >>= 7
        size += 1
    }
    return size
}
