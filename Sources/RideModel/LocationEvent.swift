/// One driver's report for one tick: the value of a record on `driver-locations`, keyed by
/// driver id.
///
/// JSON (one flat object, fields in this order):
/// `{"eventId":"0000123-D00042","driverId":"D00042","region":"koramangala","lat":12.934512,
/// "lon":77.612345,"speedKmh":23.4,"status":"on_trip","tripId":"T00042-0003","riderId":"R00042-0003",
/// "milestone":"pickup","surge":1.25,"ts":1767600000000}`
///
/// `lat`/`lon` have 6 decimals (about 0.1 m), `speedKmh` 1, `surge` 2; `tripId`, `riderId`
/// and `milestone` are null when there is none; `ts` is milliseconds since the Unix epoch
/// (simulated time).
public struct LocationEvent: Hashable, Sendable {
    public var eventId: String
    public var driverId: String
    public var region: String
    public var lat: Double
    public var lon: Double
    public var speedKmh: Double
    public var status: DriverStatus
    public var tripId: String?
    public var riderId: String?
    public var milestone: TripMilestone?
    /// The region's surge multiplier at this tick.
    public var surge: Double
    public var ts: Int64

    public init(
        eventId: String, driverId: String, region: String, lat: Double, lon: Double, speedKmh: Double,
        status: DriverStatus, tripId: String? = nil, riderId: String? = nil, milestone: TripMilestone? = nil,
        surge: Double = 1, ts: Int64
    ) {
        self.eventId = eventId
        self.driverId = driverId
        self.region = region
        self.lat = lat
        self.lon = lon
        self.speedKmh = speedKmh
        self.status = status
        self.tripId = tripId
        self.riderId = riderId
        self.milestone = milestone
        self.surge = surge
        self.ts = ts
    }

    public var position: GeoPoint { GeoPoint(lat: lat, lon: lon) }

    /// The event with its numbers rounded as the JSON carries them, so that what a consumer
    /// decodes equals what was encoded.
    public var rounded: LocationEvent {
        var copy = self
        copy.lat = FixedDecimal.round(lat, decimals: 6)
        copy.lon = FixedDecimal.round(lon, decimals: 6)
        copy.speedKmh = FixedDecimal.round(speedKmh, decimals: 1)
        copy.surge = FixedDecimal.round(surge, decimals: 2)
        return copy
    }

    /// The JSON bytes of the event, written into an array reserved for the longest they can
    /// be (`JSONWriter`).
    public func json() -> [UInt8] {
        let textBytes = eventId.utf8.count + driverId.utf8.count + region.utf8.count + status.rawValue.utf8.count
            + (tripId?.utf8.count ?? 0) + (riderId?.utf8.count ?? 0) + (milestone?.rawValue.utf8.count ?? 0)
        let capacity = JSONWriter.capacity(literals: Self.jsonKeysBytes, texts: textBytes, textCount: 7, numbers: 5)
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, written in
            var out = JSONWriter(buffer.baseAddress!)
            out.literal(#"{"eventId":"#)
            out.text(eventId)
            out.literal(#","driverId":"#)
            out.text(driverId)
            out.literal(#","region":"#)
            out.text(region)
            out.literal(#","lat":"#)
            out.fixed(lat, decimals: 6)
            out.literal(#","lon":"#)
            out.fixed(lon, decimals: 6)
            out.literal(#","speedKmh":"#)
            out.fixed(speedKmh, decimals: 1)
            out.literal(#","status":"#)
            out.text(status.rawValue)
            out.literal(#","tripId":"#)
            out.nullableText(tripId)
            out.literal(#","riderId":"#)
            out.nullableText(riderId)
            out.literal(#","milestone":"#)
            out.nullableText(milestone?.rawValue)
            out.literal(#","surge":"#)
            out.fixed(surge, decimals: 2)
            out.literal(#","ts":"#)
            out.integer(ts)
            out.byte(UInt8(ascii: "}"))
            written = out.count
        }
    }

    /// The bytes of `json()` that are neither texts nor numbers: keys, punctuation and the
    /// `null`s (counted as if every nullable text were null, the longer of the two).
    private static let jsonKeysBytes = #"{"eventId":,"driverId":,"region":,"lat":,"lon":,"speedKmh":,"status":,"tripId":null,"riderId":null,"milestone":null,"surge":,"ts":}"#.utf8.count

    /// Decodes an event's JSON (`LocationEventView.decode`, texts made `String`s).
    public static func decode(_ bytes: ArraySlice<UInt8>) throws(EventDecodingError) -> LocationEvent {
        try LocationEventView.decode(bytes).event
    }

    public static func decode(_ bytes: [UInt8]) throws(EventDecodingError) -> LocationEvent {
        try decode(bytes[...])
    }
}

/// Why an event's JSON could not be read.
public struct EventDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
