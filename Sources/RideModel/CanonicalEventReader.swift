/// Reads an event's JSON in the one form `LocationEvent.json()` writes: the twelve keys in
/// their order and nothing else, no spaces, texts without escapes, nothing after the closing
/// brace. Each key is compared as the literal it must be instead of being looked up, and the
/// values go straight into the view, with no `EventFields` in between.
///
/// Anything else (another order, a missing or unknown key, spaces, escapes, a text that is
/// not UTF-8, a value of another type, trailing bytes) answers nil, and
/// `LocationEventView.decode` reads the record the general way. So this reader never decides
/// that an event is malformed, and whatever it accepts it reads exactly as the general reader
/// does: the same spans, numbers and cases (the tests compare both on the same bytes,
/// mutated at random).
struct CanonicalEventReader {
    /// The bytes are not in the canonical form.
    struct Mismatch: Error {}

    private var parser: FlatJSON.Parser

    private init(_ bytes: UnsafeRawBufferPointer) { parser = FlatJSON.Parser(bytes: bytes, index: 0) }

    /// The view of `storage`'s event when its bytes (`raw`) are in the canonical form; nil
    /// otherwise.
    static func read(_ raw: UnsafeRawBufferPointer, storage: ArraySlice<UInt8>) -> LocationEventView? {
        var reader = CanonicalEventReader(raw)
        return try? reader.view(storage)
    }

    private mutating func view(_ storage: ArraySlice<UInt8>) throws(Mismatch) -> LocationEventView {
        try key(#"{"eventId":"#)
        let eventId = try text()
        try key(#","driverId":"#)
        let driverId = try text()
        try key(#","region":"#)
        let region = try text()
        try key(#","lat":"#)
        let lat = try number()
        try key(#","lon":"#)
        let lon = try number()
        try key(#","speedKmh":"#)
        let speedKmh = try number()
        try key(#","status":"#)
        let status = try named(EventFields.statuses)
        try key(#","tripId":"#)
        let tripId = try isNull() ? nil : try text()
        try key(#","riderId":"#)
        let riderId = try isNull() ? nil : try text()
        try key(#","milestone":"#)
        let milestone = try isNull() ? nil : try named(EventFields.milestones)
        try key(#","surge":"#)
        let surge = try number()
        try key(#","ts":"#)
        guard case let .integer(ts) = try value(parser.value()) else { throw Mismatch() }
        guard parser.index + 1 == parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "}") else { throw Mismatch() }
        return LocationEventView(
            storage: storage, eventIdText: eventId, driverIdText: driverId, regionText: region, tripIdText: tripId,
            riderIdText: riderId, lat: lat, lon: lon, speedKmh: speedKmh, status: status, milestone: milestone,
            surge: surge, ts: ts
        )
    }

    /// Steps over `literal` (a key with its punctuation), which must come next. One of 8 to 16
    /// bytes is compared as its first and its last eight (two loads that may overlap), one of
    /// 4 to 7 as its first and last four, any other byte by byte. (A literal of one character
    /// may be stored as a scalar, without the bytes `utf8Start` needs: the closing brace is
    /// checked as a byte.)
    private mutating func key(_ literal: StaticString) throws(Mismatch) {
        let count = literal.utf8CodeUnitCount
        guard parser.bytes.count - parser.index >= count, let base = parser.bytes.baseAddress else { throw Mismatch() }
        let here = base + parser.index, expected = UnsafeRawPointer(literal.utf8Start)
        func same<Word: FixedWidthInteger>(_: Word.Type) -> Bool {
            let last = count - MemoryLayout<Word>.size
            return here.loadUnaligned(as: Word.self) == expected.loadUnaligned(as: Word.self)
                && here.loadUnaligned(fromByteOffset: last, as: Word.self) == expected.loadUnaligned(fromByteOffset: last, as: Word.self)
        }
        let matches = switch count {
        case 8 ... 16: same(UInt64.self)
        case 4 ..< 8: same(UInt32.self)
        default: (0 ..< count).allSatisfy { here.load(fromByteOffset: $0, as: UInt8.self) == expected.load(fromByteOffset: $0, as: UInt8.self) }
        }
        guard matches else { throw Mismatch() }
        parser.index += count
    }

    /// A value read by the general parser, its error turned into a mismatch.
    private func value(_ read: @autoclosure () throws(EventDecodingError) -> FlatJSON.Value) throws(Mismatch) -> FlatJSON.Value {
        do { return try read() } catch { throw Mismatch() }
    }

    /// A text without escapes whose bytes are valid UTF-8 as they are.
    private mutating func text() throws(Mismatch) -> TextSpan {
        guard case let .string(range, escaped: false, ascii) = try value(parser.string()),
              ascii || FlatJSON.isValidUTF8(parser.bytes, range) else { throw Mismatch() }
        return TextSpan(start: range.lowerBound, count: range.count)
    }

    private mutating func number() throws(Mismatch) -> Double {
        switch try value(parser.value()) {
        case let .number(number): number
        case let .integer(integer): Double(integer)
        default: throw Mismatch()
        }
    }

    /// Steps over a `null` when one comes next.
    private mutating func isNull() throws(Mismatch) -> Bool {
        guard parser.peek() == UInt8(ascii: "n") else { return false }
        guard case .null = try value(parser.value()) else { throw Mismatch() }
        return true
    }

    /// The case a text without escapes names.
    private mutating func named<Name>(_ names: [([UInt8], Name)]) throws(Mismatch) -> Name {
        guard case let .string(range, escaped: false, _) = try value(parser.string()),
              let known = EventFields.known(names, UnsafeRawBufferPointer(rebasing: parser.bytes[range])) else { throw Mismatch() }
        return known
    }
}
