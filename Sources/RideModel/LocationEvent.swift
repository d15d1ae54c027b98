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

    /// The JSON bytes of the event.
    public func json() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(240)
        out.append(contentsOf: #"{"eventId":"#.utf8)
        JSONText.string(eventId, into: &out)
        out.append(contentsOf: #","driverId":"#.utf8)
        JSONText.string(driverId, into: &out)
        out.append(contentsOf: #","region":"#.utf8)
        JSONText.string(region, into: &out)
        out.append(contentsOf: #","lat":"#.utf8)
        FixedDecimal.write(lat, decimals: 6, into: &out)
        out.append(contentsOf: #","lon":"#.utf8)
        FixedDecimal.write(lon, decimals: 6, into: &out)
        out.append(contentsOf: #","speedKmh":"#.utf8)
        FixedDecimal.write(speedKmh, decimals: 1, into: &out)
        out.append(contentsOf: #","status":"#.utf8)
        JSONText.string(status.rawValue, into: &out)
        out.append(contentsOf: #","tripId":"#.utf8)
        JSONText.nullableString(tripId, into: &out)
        out.append(contentsOf: #","riderId":"#.utf8)
        JSONText.nullableString(riderId, into: &out)
        out.append(contentsOf: #","milestone":"#.utf8)
        JSONText.nullableString(milestone?.rawValue, into: &out)
        out.append(contentsOf: #","surge":"#.utf8)
        FixedDecimal.write(surge, decimals: 2, into: &out)
        out.append(contentsOf: #","ts":"#.utf8)
        FixedDecimal.write(ts, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

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
