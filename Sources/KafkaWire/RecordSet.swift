/// The records of one or more stored batches, decoded in one pass into compact entries that
/// point into the fetched bytes.
///
/// Decoding stores 40 bytes per record and copies nothing; `BatchRecord` values (with key and
/// value slices of `buffer`) are made on access. Control batches are skipped, and records
/// before `startOffset` (the front of a batch a fetch had to return whole) are left out.
public struct RecordSet: RandomAccessCollection, Sendable {
    /// The fetched bytes the records point into.
    public let buffer: [UInt8]
    private let entries: [Entry]

    /// The offset after the last decoded batch: where the next read continues.
    public let nextOffset: Offset

    struct Entry {
        var offset: Int64
        var timestamp: Int64
        var keyStart: Int32
        var keyCount: Int32
        var valueStart: Int32
        var valueCount: Int32
        /// Position of the first header, and how many there are.
        var headersStart: Int32
        var headerCount: Int32
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }

    public subscript(position: Int) -> BatchRecord {
        let entry = entries[position]
        return BatchRecord(
            offset: Offset(entry.offset), timestamp: entry.timestamp,
            key: slice(entry.keyStart, entry.keyCount), value: slice(entry.valueStart, entry.valueCount),
            headers: entry.headerCount == 0 ? [] : headers(entry)
        )
    }

    /// The offset of record `position` alone.
    public func offset(at position: Int) -> Offset { Offset(entries[position].offset) }

    /// The value of record `position` alone, without building the whole record.
    public func value(at position: Int) -> ArraySlice<UInt8>? {
        let entry = entries[position]
        return slice(entry.valueStart, entry.valueCount)
    }

    private func slice(_ start: Int32, _ count: Int32) -> ArraySlice<UInt8>? {
        count < 0 ? nil : buffer[Int(start) ..< Int(start) + Int(count)]
    }

    private func headers(_ entry: Entry) -> [RecordHeader] {
        buffer.withUnsafeBytes { raw in
            var reader = ByteReader(raw, position: Int(entry.headersStart))
            var result: [RecordHeader] = []
            for _ in 0 ..< entry.headerCount {
                guard let keyLength = try? reader.readVarint(), let keyRange = try? reader.skip(Int(Swift.max(0, keyLength))),
                      let valueLength = try? reader.readVarint()
                else { break }
                var value: [UInt8]?
                if valueLength >= 0, let valueRange = try? reader.skip(Int(valueLength)) { value = Array(raw[valueRange]) }
                result.append(RecordHeader(key: String(decoding: raw[keyRange], as: UTF8.self), value: value))
            }
            return result
        }
    }

    /// Decodes every batch in `buffer` (back-to-back RecordBatch v2 bytes, possibly ending
    /// with a partial batch, which is ignored), keeping records at or after `startOffset`.
    public static func decode(_ buffer: [UInt8], from startOffset: Offset) throws(WireError) -> RecordSet {
        var entries: [Entry] = []
        var next = startOffset
        try buffer.withRawBytes { (raw) throws(WireError) in
            var position = 0
            while raw.count - position >= RecordBatchHeader.size {
                let header = try RecordBatchHeader.parse(raw, at: position)
                let end = position + header.totalSize
                guard end <= raw.count else { break }
                defer {
                    position = end
                    if header.nextOffset > next { next = header.nextOffset }
                }
                if header.isControl || header.nextOffset <= startOffset { continue }
                guard header.compression == 0 else {
                    throw WireError(.unsupportedCompression, "batch uses compression codec \(header.compression)", at: position)
                }
                // The count is the sender's word: reserve no more than the bytes can hold.
                let plausible = Swift.min(Int(header.recordsCount), (header.totalSize - RecordBatchHeader.size) / RecordBatch.minimumRecordBytes)
                if entries.isEmpty { entries.reserveCapacity(Swift.max(0, plausible) * Swift.max(1, raw.count / header.totalSize)) }
                var reader = ByteReader(UnsafeRawBufferPointer(rebasing: raw[0 ..< end]), position: position + RecordBatchHeader.size)
                let logAppendTime = header.attributes & 0x8 != 0
                for _ in 0 ..< header.recordsCount {
                    let entry = try decodeEntry(&reader, header: header, logAppendTime: logAppendTime)
                    if entry.offset >= startOffset.rawValue { entries.append(entry) }
                }
            }
        }
        return RecordSet(buffer: buffer, entries: entries, nextOffset: next)
    }

    private init(buffer: [UInt8], entries: [Entry], nextOffset: Offset) {
        self.buffer = buffer
        self.entries = entries
        self.nextOffset = nextOffset
    }

    @inline(__always)
    private static func decodeEntry(_ reader: inout ByteReader, header: RecordBatchHeader, logAppendTime: Bool) throws(WireError) -> Entry {
        let start = reader.position
        let length = try reader.readVarint()
        guard length >= 0, length <= Int64(reader.remaining) else {
            throw WireError(.malformed, "record length \(length) exceeds the batch", at: start)
        }
        let recordEnd = reader.position + Int(length)
        _ = try reader.skip(1)
        let timestampDelta = try reader.readVarint()
        let offsetDelta = try reader.readVarint()
        guard offsetDelta >= 0, offsetDelta <= Int64(header.lastOffsetDelta) else {
            throw WireError(.malformed, "offset delta \(offsetDelta) outside the batch's 0 ... \(header.lastOffsetDelta)", at: start)
        }
        let (keyStart, keyCount) = try field(&reader)
        let (valueStart, valueCount) = try field(&reader)
        let headerCount = try reader.readVarint()
        guard headerCount >= 0, headerCount <= Int64(recordEnd - reader.position) else {
            throw WireError(.malformed, "header count \(headerCount)", at: reader.position)
        }
        let headersStart = reader.position
        reader.position = recordEnd
        return Entry(
            offset: header.baseOffset.rawValue &+ offsetDelta,
            timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp &+ timestampDelta,
            keyStart: Int32(keyStart), keyCount: Int32(keyCount), valueStart: Int32(valueStart), valueCount: Int32(valueCount),
            headersStart: Int32(headersStart), headerCount: Int32(headerCount)
        )
    }

    @inline(__always)
    private static func field(_ reader: inout ByteReader) throws(WireError) -> (Int, Int) {
        let length = try reader.readVarint()
        if length < 0 { return (reader.position, -1) }
        guard length <= Int64(reader.remaining) else {
            throw WireError(.malformed, "field length \(length) exceeds the record", at: reader.position)
        }
        let start = reader.position
        reader.position += Int(length)
        return (start, Int(length))
    }
}
