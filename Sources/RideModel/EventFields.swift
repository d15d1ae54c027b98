/// The fields of a `LocationEvent` as they are read from JSON, checked when complete.
struct EventFields {
    var eventId: String?
    var driverId: String?
    var region: String?
    var lat: Double?
    var lon: Double?
    var speedKmh: Double?
    var status: DriverStatus?
    var tripId: String?
    var riderId: String?
    var milestone: TripMilestone?
    var surge: Double?
    var ts: Int64?

    mutating func set(_ key: UnsafeRawBufferPointer, _ value: FlatJSON.Value) throws(EventDecodingError) {
        let name = String(decoding: key, as: UTF8.self)
        switch name {
        case "eventId": eventId = try Self.string(name, value)
        case "driverId": driverId = try Self.string(name, value)
        case "region": region = try Self.string(name, value)
        case "lat": lat = try Self.number(name, value)
        case "lon": lon = try Self.number(name, value)
        case "speedKmh": speedKmh = try Self.number(name, value)
        case "surge": surge = try Self.number(name, value)
        case "tripId": tripId = try Self.optionalString(name, value)
        case "riderId": riderId = try Self.optionalString(name, value)
        case "status":
            let text = try Self.string(name, value)
            guard let parsed = DriverStatus(rawValue: text) else { throw EventDecodingError("unknown status '\(text)'") }
            status = parsed
        case "milestone":
            if let text = try Self.optionalString(name, value) {
                guard let parsed = TripMilestone(rawValue: text) else { throw EventDecodingError("unknown milestone '\(text)'") }
                milestone = parsed
            }
        case "ts":
            guard case let .integer(integer) = value else { throw EventDecodingError("field 'ts' must be an integer") }
            ts = integer
        default: break
        }
    }

    func event() throws(EventDecodingError) -> LocationEvent {
        guard let eventId else { throw Self.missing("eventId") }
        guard let driverId else { throw Self.missing("driverId") }
        guard let region else { throw Self.missing("region") }
        guard let lat else { throw Self.missing("lat") }
        guard let lon else { throw Self.missing("lon") }
        guard let speedKmh else { throw Self.missing("speedKmh") }
        guard let status else { throw Self.missing("status") }
        guard let ts else { throw Self.missing("ts") }
        return LocationEvent(
            eventId: eventId, driverId: driverId, region: region, lat: lat, lon: lon, speedKmh: speedKmh, status: status,
            tripId: tripId, riderId: riderId, milestone: milestone, surge: surge ?? 1, ts: ts
        )
    }

    static func missing(_ name: String) -> EventDecodingError { EventDecodingError("field '\(name)' is missing") }

    static func string(_ name: String, _ value: FlatJSON.Value) throws(EventDecodingError) -> String {
        guard case let .string(text) = value else { throw EventDecodingError("field '\(name)' must be a string") }
        return text
    }

    static func optionalString(_ name: String, _ value: FlatJSON.Value) throws(EventDecodingError) -> String? {
        switch value {
        case .null: return nil
        case let .string(text): return text
        default: throw EventDecodingError("field '\(name)' must be a string or null")
        }
    }

    static func number(_ name: String, _ value: FlatJSON.Value) throws(EventDecodingError) -> Double {
        switch value {
        case let .number(number): return number
        case let .integer(integer): return Double(integer)
        default: throw EventDecodingError("field '\(name)' must be a number")
        }
    }
}
