import KafkaWire

/// The sparse offset index of one segment: which file position holds which offset.
///
/// File format (`<base offset>.index`): back-to-back 8-byte entries, each a big-endian UInt32
/// offset relative to the segment's base offset and a big-endian UInt32 file position of the
/// batch that starts with that offset. One entry is added after every `indexIntervalBytes` of
/// log data, so a lookup scans at most that many bytes of batch headers.
///
/// Invariant: relative offsets and positions both strictly increase. The index is a cache:
/// recovery rebuilds it from the log, and a loaded index that breaks the invariant or points
/// past the log is discarded and rebuilt, never trusted.
struct OffsetIndex: Sendable {
    static let entrySize = 8

    private(set) var relativeOffsets: [UInt32] = []
    private(set) var positions: [UInt32] = []

    var count: Int { positions.count }

    mutating func append(relativeOffset: UInt32, position: UInt32) {
        if let last = relativeOffsets.last, relativeOffset <= last { return }
        relativeOffsets.append(relativeOffset)
        positions.append(position)
    }

    /// The last entry whose offset is at most `relativeOffset`, or (0, 0).
    func floorEntry(for relativeOffset: UInt32) -> (relativeOffset: UInt32, position: Int) {
        var low = 0
        var high = relativeOffsets.count
        while low < high {
            let mid = (low + high) / 2
            if relativeOffsets[mid] <= relativeOffset { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? (0, 0) : (relativeOffsets[low - 1], Int(positions[low - 1]))
    }

    /// Drops entries at or beyond `position` (after a truncation).
    mutating func truncate(toPosition position: Int) {
        while let last = positions.last, Int(last) >= position {
            positions.removeLast()
            relativeOffsets.removeLast()
        }
    }

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: count * Self.entrySize)
        for index in 0 ..< count {
            writer.write(relativeOffsets[index])
            writer.write(positions[index])
        }
        return writer.take()
    }

    /// Decodes an index file, or nil when it breaks the format or the invariant, or points at
    /// or past `logSize`.
    static func decode(_ bytes: [UInt8], logSize: Int) -> OffsetIndex? {
        guard bytes.count % entrySize == 0 else { return nil }
        var index = OffsetIndex()
        let valid: Bool = bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            while !reader.isAtEnd {
                guard let relative = try? reader.readUInt32(), let position = try? reader.readUInt32() else { return false }
                if let last = index.relativeOffsets.last, relative <= last || position <= index.positions.last! {
                    return false
                }
                guard Int(position) < logSize else { return false }
                index.relativeOffsets.append(relative)
                index.positions.append(position)
            }
            return true
        }
        return valid ? index : nil
    }
}

/// The sparse time index of one segment: the largest timestamp seen up to an offset.
///
/// File format (`<base offset>.timeindex`): back-to-back 12-byte entries, a big-endian Int64
/// timestamp (milliseconds) and a big-endian UInt32 relative offset: every record before that
/// offset's batch has a timestamp at most the entry's. Entries are added with the offset index
/// when the segment's maximum timestamp has grown. Rebuilt on recovery like the offset index.
struct TimeIndex: Sendable {
    static let entrySize = 12

    private(set) var timestamps: [Int64] = []
    private(set) var relativeOffsets: [UInt32] = []

    var count: Int { timestamps.count }

    mutating func append(timestamp: Int64, relativeOffset: UInt32) {
        if let last = timestamps.last, timestamp <= last { return }
        if let last = relativeOffsets.last, relativeOffset <= last { return }
        timestamps.append(timestamp)
        relativeOffsets.append(relativeOffset)
    }

    /// The relative offset of the last entry whose timestamp is below `timestamp`: every
    /// record before that offset is older than `timestamp`. 0 when there is none.
    func floorOffset(before timestamp: Int64) -> UInt32 {
        var low = 0
        var high = timestamps.count
        while low < high {
            let mid = (low + high) / 2
            if timestamps[mid] < timestamp { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? 0 : relativeOffsets[low - 1]
    }

    mutating func truncate(toRelativeOffset offset: UInt32) {
        while let last = relativeOffsets.last, last >= offset {
            relativeOffsets.removeLast()
            timestamps.removeLast()
        }
    }

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: count * Self.entrySize)
        for index in 0 ..< count {
            writer.write(timestamps[index])
            writer.write(relativeOffsets[index])
        }
        return writer.take()
    }

    static func decode(_ bytes: [UInt8]) -> TimeIndex? {
        guard bytes.count % entrySize == 0 else { return nil }
        var index = TimeIndex()
        let valid: Bool = bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            while !reader.isAtEnd {
                guard let timestamp = try? reader.readInt64(), let relative = try? reader.readUInt32() else { return false }
                if let last = index.timestamps.last, timestamp <= last || relative <= index.relativeOffsets.last! {
                    return false
                }
                index.timestamps.append(timestamp)
                index.relativeOffsets.append(relative)
            }
            return true
        }
        return valid ? index : nil
    }
}
