import RideModel
import Testing

@Suite struct LocationEventTests {
    static let sample = LocationEvent(
        eventId: "0000017-D00042", driverId: "D00042", region: "koramangala", lat: 12.9345123, lon: 77.6123449,
        speedKmh: 23.44, status: .onTrip, tripId: "T00042-3", riderId: "R00042-3", milestone: .pickup, surge: 1.25,
        ts: 1_767_600_017_000
    )

    @Test func encodesTheDocumentedJSON() {
        let json = String(decoding: Self.sample.json(), as: UTF8.self)
        #expect(json == #"{"eventId":"0000017-D00042","driverId":"D00042","region":"koramangala","lat":12.934512,"lon":77.612345,"speedKmh":23.4,"status":"on_trip","tripId":"T00042-3","riderId":"R00042-3","milestone":"pickup","surge":1.25,"ts":1767600017000}"#)
    }

    @Test func encodingEscapesTextsAndFitsTheLongestEvent() throws {
        var event = Self.sample
        event.region = "a\"b\\c\u{01}\n\u{1F}Köln🚕"
        let json = String(decoding: event.json(), as: UTF8.self)
        #expect(json.contains(#""region":"a\"b\\c\u0001\u000a\u001fKöln🚕""#))
        #expect(try LocationEvent.decode(event.json()) == event.rounded)
        // Every text made of bytes that take six escaped, and numbers of the most digits.
        let controls = String(repeating: "\u{01}", count: 300)
        var longest = LocationEvent(
            eventId: controls, driverId: controls, region: controls, lat: -9.2e12, lon: 9.2e12, speedKmh: -9.2e17,
            status: .onTrip, tripId: controls, riderId: controls, milestone: .dropoff, surge: -9.2e16, ts: .min
        )
        let text = String(decoding: longest.json(), as: UTF8.self)
        #expect(text.count > 5 * 6 * 300 && text.hasSuffix(#","surge":-92000000000000000.00,"ts":-9223372036854775808}"#))
        // The decoder reads integers of up to 17 digits.
        longest.ts = 1_767_600_000_000
        #expect(try LocationEvent.decode(longest.json()) == longest.rounded)
    }

    @Test func decodeGivesBackTheRoundedEvent() throws {
        let decoded = try LocationEvent.decode(Self.sample.json())
        #expect(decoded == Self.sample.rounded)
        var idle = Self.sample
        idle.tripId = nil
        idle.riderId = nil
        idle.milestone = nil
        idle.lat = -0.0000004
        #expect(try LocationEvent.decode(idle.json()) == idle.rounded)
    }

    @Test func decodesOtherProducersFormatting() throws {
        let text = #" { "ts": 5, "eventId" : "e\"1", "driverId":"d","region":"r","lat":1,"lon":-2.5e0,"speedKmh":0,"status":"available","tripId":null,"extra":"ignored" } "#
        let event = try LocationEvent.decode(Array(text.utf8))
        #expect(event.eventId == "e\"1")
        #expect(event.lon == -2.5)
        #expect(event.surge == 1)
        #expect(event.tripId == nil)
    }

    @Test func aViewKeepsPlainTextsInTheRecordAndCopiesOnlyWhatMustChange() throws {
        let plain = Self.sample.json()
        let view = try LocationEventView.decode(plain[...])
        #expect(view.storage.count == plain.count)
        #expect(view.event == Self.sample.rounded)
        #expect(view.withBytes { Array($0[view.driverIdText]) } == Array("D00042".utf8))

        // An escape, a \u escape beyond ASCII, a surrogate pair, and bytes that are not UTF-8.
        var bytes = Array(#"{"eventId":"e\"1\\","driverId":"d"#.utf8) + [0xFF, 0x41]
        bytes += Array(#"","region":"K\u00f6ln","lat":1,"lon":2,"speedKmh":3,"status":"on_trip","tripId":"\ud83d\ude95","riderId":"Zoë","ts":9}"#.utf8)
        let escaped = try LocationEventView.decode(bytes[...])
        #expect(escaped.eventId == #"e"1\"#)
        #expect(escaped.driverId == "d\u{FFFD}A")
        #expect(escaped.region == "Köln")
        #expect(escaped.tripId == "🚕")
        #expect(escaped.riderId == "Zoë")
        #expect(escaped.milestone == nil)
        // What the spans cover is what the strings say, byte for byte.
        #expect(escaped.withBytes { Array($0[escaped.regionText]) } == Array("Köln".utf8))
        #expect(escaped.withBytes { $0[escaped.riderIdText].map(Array.init) } == Array("Zoë".utf8))
    }

    /// Texts are read a word at a time where they hold nothing special: an escaped quote, a
    /// backslash or a byte beyond ASCII at any position of a text of any length, on either
    /// side of a word's end, is still found and decoded.
    @Test(arguments: [(#"\""#, "\""), (#"\\"#, "\\"), ("é", "é"), (#"\u00e9"#, "é"), ("🚕", "🚕")])
    func specialBytesAnywhereInATextAreFound(special: String, decoded: String) throws {
        for length in 0 ... 24 {
            for position in 0 ... length {
                let plain = (0 ..< length).map { String(UnicodeScalar(UInt8(0x61 + $0 % 26))) }
                let raw = (plain[..<position] + [special] + plain[position...]).joined()
                let expected = (plain[..<position] + [decoded] + plain[position...]).joined()
                let json = #"{"eventId":"\#(raw)","driverId":"D1","region":"\#(raw)","lat":1,"lon":2,"speedKmh":3,"status":"on_trip","ts":9}"#
                let view = try LocationEventView.decode(Array(json.utf8)[...])
                #expect(view.eventId == expected, "\(raw)")
                #expect(view.region == expected, "\(raw)")
                #expect(view.driverId == "D1")
            }
        }
    }

    @Test func keysAreFoundInAnyOrderAndUnknownOnesSkipped() throws {
        let ordered = try LocationEvent.decode(Self.sample.json())
        let shuffled = #"{"ts":1767600017000,"surge":1.25,"milestone":"pickup","x":"y","riderId":"R00042-3","tripId":"T00042-3","status":"on_trip","speedKmh":23.4,"lon":77.612345,"lat":12.934512,"region":"koramangala","driverIdX":"no","driverId":"D00042","eventId":"0000017-D00042"}"#
        #expect(try LocationEvent.decode(Array(shuffled.utf8)) == ordered)
    }

    @Test func aViewMadeFromAnEventIsWhatDecodingItsJSONGives() throws {
        let made = LocationEventView(Self.sample)
        #expect(made.event == (try LocationEventView.decode(Self.sample.json()[...])).event)
        var idle = Self.sample
        idle.tripId = nil
        idle.riderId = ""
        #expect(LocationEventView(idle).event == idle.rounded)
    }

    @Test(arguments: [
        (#"{"eventId":"e"}"#, "field 'driverId' is missing"),
        (#"{"eventId":1,"driverId":"d"}"#, "field 'eventId' must be a string"),
        (#"{"status":"flying"}"#, "unknown status 'flying'"),
        (#"{"milestone":"lunch"}"#, "unknown milestone 'lunch'"),
        (#"{"tripId":3}"#, "field 'tripId' must be a string or null"),
        (#"{"eventId":"a\u12"}"#, "bad \\u escape"),
        (#"{"eventId":"e","driverId":"d","region":"r","lat":1,"lon":2,"speedKmh":3,"status":"offline","ts":1.5}"#, "field 'ts' must be an integer"),
        (#"{"eventId":"e""#, "invalid JSON"),
        ("not json", "invalid JSON"),
    ])
    func malformedEventsNameTheProblem(text: String, problem: String) {
        let error = #expect(throws: EventDecodingError.self) { try LocationEvent.decode(Array(text.utf8)) }
        #expect(error?.description.contains(problem) == true, "\(error?.description ?? "")")
    }

    @Test func haversineMatchesAKnownDistance() {
        // Bengaluru (Vidhana Soudha) to Chennai (Central): about 290 km great-circle.
        let distance = GeoPoint(lat: 12.9796, lon: 77.5906).distanceKm(to: GeoPoint(lat: 13.0827, lon: 80.2757))
        #expect(abs(distance - 290.6) < 2)
        let start = GeoPoint(lat: 12.93, lon: 77.62)
        let moved = start.moved(km: 1, bearing: 90)
        #expect(abs(start.distanceKm(to: moved) - 1) < 0.01)
        #expect(abs(start.bearing(to: moved) - 90) < 0.5)
    }

    @Test func gpsJumpRule() {
        let a = GeoPoint(lat: 12.93, lon: 77.62)
        #expect(GPSJump.isJump(from: a, to: a.moved(km: 4, bearing: 10), elapsedMs: 1000))
        #expect(!GPSJump.isJump(from: a, to: a.moved(km: 0.02, bearing: 10), elapsedMs: 1000))
        #expect(!GPSJump.isJump(from: a, to: a.moved(km: 4, bearing: 10), elapsedMs: 600_000))
    }
}
