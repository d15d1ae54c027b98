/// An event as a consumer reads it: numbers, status, milestone and time decoded, its texts
/// (ids, region) left where they are in the record's bytes, as `TextSpan`s. Decoding one
/// builds no `String` and copies nothing; a processor binds the texts straight from the bytes
/// (`withBytes`) and asks for a `String` (`driverId`, ...) only where it keeps one.
///
/// Invariant: every span lies within `storage` and covers valid UTF-8. The view holds its
/// bytes (`storage` shares the fetched batch's buffer), so it stays valid as long as it lives.
public struct LocationEventView: Sendable {
    public let storage: ArraySlice<UInt8>
    public var eventIdText: TextSpan
    public var driverIdText: TextSpan
    public var regionText: TextSpan
    public var tripIdText: TextSpan?
    public var riderIdText: TextSpan?
    public var lat: Double
    public var lon: Double
    public var speedKmh: Double
    public var status: DriverStatus
    public var milestone: TripMilestone?
    public var surge: Double
    public var ts: Int64

    init(
        storage: ArraySlice<UInt8>, eventIdText: TextSpan, driverIdText: TextSpan, regionText: TextSpan, tripIdText: TextSpan?,
        riderIdText: TextSpan?, lat: Double, lon: Double, speedKmh: Double, status: DriverStatus, milestone: TripMilestone?,
        surge: Double, ts: Int64
    ) {
        self.storage = storage
        self.eventIdText = eventIdText
        self.driverIdText = driverIdText
        self.regionText = regionText
        self.tripIdText = tripIdText
        self.riderIdText = riderIdText
        self.lat = lat
        self.lon = lon
        self.speedKmh = speedKmh
        self.status = status
        self.milestone = milestone
        self.surge = surge
        self.ts = ts
    }

    /// The view of an event as a consumer would read it from its JSON: numbers rounded as the
    /// JSON carries them, texts in a buffer of their own.
    public init(_ event: LocationEvent) {
        let rounded = event.rounded
        var storage: [UInt8] = []
        func keep(_ text: String) -> TextSpan {
            let start = storage.count
            storage.append(contentsOf: text.utf8)
            return TextSpan(start: start, count: storage.count - start)
        }
        let eventId = keep(rounded.eventId), driverId = keep(rounded.driverId), region = keep(rounded.region)
        let tripId = rounded.tripId.map(keep), riderId = rounded.riderId.map(keep)
        self.init(
            storage: storage[...], eventIdText: eventId, driverIdText: driverId, regionText: region, tripIdText: tripId,
            riderIdText: riderId, lat: rounded.lat, lon: rounded.lon, speedKmh: rounded.speedKmh, status: rounded.status,
            milestone: rounded.milestone, surge: rounded.surge, ts: rounded.ts
        )
    }

    /// Decodes an event's JSON. Unknown fields are ignored; a missing or mistyped required
    /// field is an error naming it. The simulator's own form is read by `CanonicalEventReader`,
    /// any other by `decodeFields`, with the same result.
    public static func decode(_ bytes: ArraySlice<UInt8>) throws(EventDecodingError) -> LocationEventView {
        if let view = bytes.withUnsafeBytes({ CanonicalEventReader.read($0, storage: bytes) }) { return view }
        return try decodeFields(bytes)
    }

    /// Decodes an event's JSON in any form: each key is looked up (`EventField`), its value
    /// checked and kept (`EventFields`).
    static func decodeFields(_ bytes: ArraySlice<UInt8>) throws(EventDecodingError) -> LocationEventView {
        let fields: Result<EventFields, EventDecodingError> = bytes.withUnsafeBytes { raw in
            Result { () throws(EventDecodingError) in
                var fields = EventFields()
                var next = 0
                try FlatJSON.forEachField(raw) { (key, value) throws(EventDecodingError) in
                    guard let (field, position) = EventField.named(key, from: next) else { return }
                    next = position + 1
                    try fields.set(field, value, in: raw)
                }
                return fields
            }
        }
        return try fields.get().view(bytes)
    }

    /// Gives `body` the bytes the spans point into.
    public func withBytes<Result, Failure: Error>(_ body: (EventBytes) throws(Failure) -> Result) throws(Failure) -> Result {
        let outcome: Swift.Result<Result, Failure> = storage.withUnsafeBytes { raw in
            Swift.Result { () throws(Failure) in try body(EventBytes(raw: raw)) }
        }
        return try outcome.get()
    }

    /// One text as a `String`.
    public func string(_ span: TextSpan) -> String {
        withBytes { bytes in String(decoding: bytes[span], as: UTF8.self) }
    }

    public var eventId: String { string(eventIdText) }
    public var driverId: String { string(driverIdText) }
    public var region: String { string(regionText) }
    public var tripId: String? { tripIdText.map(string) }
    public var riderId: String? { riderIdText.map(string) }
    public var position: GeoPoint { GeoPoint(lat: lat, lon: lon) }

    /// The event with its texts as `String`s.
    public var event: LocationEvent {
        LocationEvent(
            eventId: eventId, driverId: driverId, region: region, lat: lat, lon: lon, speedKmh: speedKmh, status: status,
            tripId: tripId, riderId: riderId, milestone: milestone, surge: surge, ts: ts
        )
    }
}
