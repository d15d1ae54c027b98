/// The fields of an event as they are read from its JSON, checked when complete.
///
/// Texts are kept as ranges of the JSON's bytes. A text that must change to be valid (it has
/// escapes, or bytes that are not UTF-8) is written, unescaped or repaired, to `extra`, which
/// the view appends to a copy of the bytes; the simulator's events never need it.
struct EventFields {
    /// Where a text is: in the record's bytes or in `extra`.
    enum Text {
        case record(Range<Int>)
        case extra(Range<Int>)
    }

    var eventId: Text?
    var driverId: Text?
    var region: Text?
    var lat: Double?
    var lon: Double?
    var speedKmh: Double?
    var status: DriverStatus?
    var tripId: Text?
    var riderId: Text?
    var milestone: TripMilestone?
    var surge: Double?
    var ts: Int64?
    var extra: [UInt8] = []

    static let statuses = DriverStatus.allCases.map { (Array($0.rawValue.utf8), $0) }
    static let milestones = TripMilestone.allCases.map { (Array($0.rawValue.utf8), $0) }

    mutating func set(_ field: EventField, _ value: FlatJSON.Value, in bytes: UnsafeRawBufferPointer) throws(EventDecodingError) {
        switch field {
        case .eventId: eventId = try text(field, value, bytes)
        case .driverId: driverId = try text(field, value, bytes)
        case .region: region = try text(field, value, bytes)
        case .lat: lat = try Self.number(field, value)
        case .lon: lon = try Self.number(field, value)
        case .speedKmh: speedKmh = try Self.number(field, value)
        case .surge: surge = try Self.number(field, value)
        case .tripId: tripId = try optionalText(field, value, bytes)
        case .riderId: riderId = try optionalText(field, value, bytes)
        case .status:
            status = try Self.named(Self.statuses, field, value, bytes)
        case .milestone:
            if case .null = value { return }
            milestone = try Self.named(Self.milestones, field, value, bytes)
        case .ts:
            guard case let .integer(integer) = value else { throw EventDecodingError("field 'ts' must be an integer") }
            ts = integer
        }
    }

    /// The view over `storage` (the bytes the fields were read from).
    func view(_ storage: ArraySlice<UInt8>) throws(EventDecodingError) -> LocationEventView {
        guard let eventId else { throw Self.missing(.eventId) }
        guard let driverId else { throw Self.missing(.driverId) }
        guard let region else { throw Self.missing(.region) }
        guard let lat else { throw Self.missing(.lat) }
        guard let lon else { throw Self.missing(.lon) }
        guard let speedKmh else { throw Self.missing(.speedKmh) }
        guard let status else { throw Self.missing(.status) }
        guard let ts else { throw Self.missing(.ts) }
        let base = storage.count
        func span(_ text: Text) -> TextSpan {
            switch text {
            case let .record(range): TextSpan(start: range.lowerBound, count: range.count)
            case let .extra(range): TextSpan(start: base + range.lowerBound, count: range.count)
            }
        }
        return LocationEventView(
            storage: extra.isEmpty ? storage : ArraySlice(Array(storage) + extra), eventIdText: span(eventId),
            driverIdText: span(driverId), regionText: span(region), tripIdText: tripId.map(span), riderIdText: riderId.map(span),
            lat: lat, lon: lon, speedKmh: speedKmh, status: status, milestone: milestone, surge: surge ?? 1, ts: ts
        )
    }

    private mutating func text(_ field: EventField, _ value: FlatJSON.Value, _ bytes: UnsafeRawBufferPointer) throws(EventDecodingError) -> Text {
        guard case let .string(range, escaped, ascii) = value else { throw EventDecodingError("field '\(field.rawValue)' must be a string") }
        if !escaped {
            if ascii || FlatJSON.isValidUTF8(bytes, range) { return .record(range) }
            return keep(Array(String(decoding: bytes[range], as: UTF8.self).utf8))
        }
        return keep(try FlatJSON.unescaped(bytes, range))
    }

    private mutating func keep(_ value: [UInt8]) -> Text {
        let start = extra.count
        extra.append(contentsOf: value)
        return .extra(start ..< extra.count)
    }

    private mutating func optionalText(_ field: EventField, _ value: FlatJSON.Value, _ bytes: UnsafeRawBufferPointer) throws(EventDecodingError) -> Text? {
        switch value {
        case .null: return nil
        case .string: return try text(field, value, bytes)
        default: throw EventDecodingError("field '\(field.rawValue)' must be a string or null")
        }
    }

    /// The case a short text names (status, milestone), compared in place.
    private static func named<Name>(
        _ names: [([UInt8], Name)], _ field: EventField, _ value: FlatJSON.Value, _ bytes: UnsafeRawBufferPointer
    ) throws(EventDecodingError) -> Name {
        guard case let .string(range, escaped, _) = value else {
            throw EventDecodingError("field '\(field.rawValue)' must be a string\(field == .milestone ? " or null" : "")")
        }
        if !escaped {
            if let known = Self.known(names, UnsafeRawBufferPointer(rebasing: bytes[range])) { return known }
            throw EventDecodingError("unknown \(field.rawValue) '\(String(decoding: bytes[range], as: UTF8.self))'")
        }
        let text = try FlatJSON.unescaped(bytes, range)
        if let known = text.withUnsafeBytes({ Self.known(names, $0) }) { return known }
        throw EventDecodingError("unknown \(field.rawValue) '\(String(decoding: text, as: UTF8.self))'")
    }

    /// The case `bytes` names (unescaped), compared in place; nil when none is.
    static func known<Name>(_ names: [([UInt8], Name)], _ bytes: UnsafeRawBufferPointer) -> Name? {
        names.first { $0.0.count == bytes.count && $0.0.elementsEqual(bytes) }?.1
    }

    static func missing(_ field: EventField) -> EventDecodingError { EventDecodingError("field '\(field.rawValue)' is missing") }

    static func number(_ field: EventField, _ value: FlatJSON.Value) throws(EventDecodingError) -> Double {
        switch value {
        case let .number(number): return number
        case let .integer(integer): return Double(integer)
        default: throw EventDecodingError("field '\(field.rawValue)' must be a number")
        }
    }
}
