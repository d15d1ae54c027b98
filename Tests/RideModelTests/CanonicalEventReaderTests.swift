@testable import RideModel
import Testing

/// The canonical reader is a shortcut: for every input `LocationEventView.decode` must answer
/// what the general reader (`decodeFields`) answers, the same view or the same error.
@Suite struct CanonicalEventReaderTests {
    /// Events of every shape the simulator writes, and texts beyond ASCII.
    static func events(count: Int, seed: UInt64) -> [LocationEvent] {
        var random = SplitMix64(seed: seed)
        let texts = ["D00042", "koramangala", "0000017-D00042", "", "Köln", "🚕 east", "x"]
        func text() -> String { texts[Int(random.next() % UInt64(texts.count))] }
        func maybe(_ value: String) -> String? { random.chance(0.3) ? nil : value }
        return (0 ..< count).map { _ in
            LocationEvent(
                eventId: text(), driverId: text(), region: text(), lat: random.uniform(-90 ... 90), lon: random.uniform(-180 ... 180),
                speedKmh: random.chance(0.1) ? 0 : random.uniform(0 ... 250), status: DriverStatus.allCases.randomElement(using: &random)!,
                tripId: maybe(text()), riderId: maybe(text()),
                milestone: random.chance(0.5) ? nil : TripMilestone.allCases.randomElement(using: &random),
                surge: random.uniform(0.5 ... 3), ts: Int64(random.next() % 10_000_000_000_000) - 1_000_000_000
            )
        }
    }

    /// What a decode answered, comparable: every span, every number bit for bit, or the error.
    static func outcome(_ decode: () throws(EventDecodingError) -> LocationEventView) -> String {
        do {
            let view = try decode()
            let spans = [view.eventIdText, view.driverIdText, view.regionText, view.tripIdText, view.riderIdText]
            let numbers = [view.lat, view.lon, view.speedKmh, view.surge].map(\.bitPattern)
            return "\(Array(view.storage)) \(spans) \(numbers) \(view.status) \(String(describing: view.milestone)) \(view.ts)"
        } catch {
            return "error: \(error)"
        }
    }

    static func canonical(_ bytes: [UInt8]) -> LocationEventView? {
        bytes.withUnsafeBytes { CanonicalEventReader.read($0, storage: bytes[...]) }
    }

    @Test func everyEventTheSimulatorWritesIsReadCanonicallyAsTheGeneralReaderReadsIt() throws {
        for event in Self.events(count: 2_000, seed: 7) {
            let json = event.json()
            let view = try #require(Self.canonical(json), "\(String(decoding: json, as: UTF8.self))")
            #expect(Self.outcome { view } == Self.outcome { () throws(EventDecodingError) in try LocationEventView.decodeFields(json[...]) })
            #expect(view.event == event.rounded)
        }
    }

    @Test(arguments: [
        #"{ "eventId":"e","driverId":"d","region":"r","lat":1,"lon":2,"speedKmh":0,"status":"available","tripId":null,"riderId":null,"milestone":null,"surge":1,"ts":5}"#,
        #"{"driverId":"d","eventId":"e","region":"r","lat":1,"lon":2,"speedKmh":0,"status":"available","tripId":null,"riderId":null,"milestone":null,"surge":1,"ts":5}"#,
        #"{"eventId":"e","driverId":"d","region":"r","lat":1,"lon":2,"speedKmh":0,"status":"available","tripId":null,"riderId":null,"surge":1,"ts":5}"#,
        #"{"eventId":"e\u0041","driverId":"d","region":"r","lat":1,"lon":2,"speedKmh":0,"status":"available","tripId":null,"riderId":null,"milestone":null,"surge":1,"ts":5}"#,
        #"{"eventId":"e","driverId":"d","region":"r","lat":1,"lon":2,"speedKmh":0,"status":"available","tripId":null,"riderId":null,"milestone":null,"surge":1,"ts":5,"extra":1}"#,
        #"{"eventId":"e","driverId":"d","region":"r","lat":1,"lon":2,"speedKmh":0,"status":"available","tripId":null,"riderId":null,"milestone":null,"surge":1,"ts":5} "#,
        #"{"eventId":"e","driverId":"d","region":"r","lat":1,"lon":2,"speedKmh":0,"status":"available","tripId":null,"riderId":null,"milestone":null,"ts":5}"#,
    ])
    func otherFormsAreLeftToTheGeneralReader(text: String) throws {
        let bytes = Array(text.utf8)
        #expect(Self.canonical(bytes) == nil)
        let view = try LocationEventView.decode(bytes[...])
        #expect(view.driverId == "d" && view.lat == 1 && view.ts == 5)
    }

    @Test func aTextThatIsNotUTF8IsLeftToTheGeneralReaderWhichRepairsIt() throws {
        var bytes = LocationEventTests.sample.json()
        let index = try #require(bytes.firstIndex(of: UInt8(ascii: "k")))
        bytes[index] = 0xFF
        #expect(Self.canonical(bytes) == nil)
        #expect(try LocationEventView.decode(bytes[...]).region == "\u{FFFD}oramangala")
    }

    /// Random damage to real events: flipped bits, bytes replaced by JSON's own punctuation,
    /// bytes inserted, removed or cut off. Whatever the canonical reader accepts or leaves,
    /// `decode` answers as the general reader does, and both paths are taken many times.
    @Test func damagedEventsDecodeAsTheGeneralReaderDecodesThem() {
        var random = SplitMix64(seed: 11)
        let specials = Array(#"\"{}[],:. -+eE0129nul"#.utf8) + [0x00, 0x7F, 0x80, 0xC3, 0xA9, 0xFF]
        var accepted = 0, refused = 0
        for event in Self.events(count: 400, seed: 3) {
            let json = event.json()
            for _ in 0 ..< 100 {
                var bytes = json
                for _ in 0 ... random.next() % 3 {
                    let index = Int(random.next() % UInt64(bytes.count))
                    let special = specials[Int(random.next() % UInt64(specials.count))]
                    switch random.next() % 5 {
                    case 0: bytes[index] ^= 1 << UInt8(random.next() % 8)
                    case 1: bytes[index] = special
                    case 2: bytes.insert(special, at: index)
                    case 3: if bytes.count > 1 { bytes.remove(at: index) }
                    default: bytes.removeLast(min(bytes.count - 1, Int(random.next() % 8)))
                    }
                }
                let general = Self.outcome { () throws(EventDecodingError) in try LocationEventView.decodeFields(bytes[...]) }
                let decoded = Self.outcome { () throws(EventDecodingError) in try LocationEventView.decode(bytes[...]) }
                #expect(decoded == general, "\(String(decoding: bytes, as: UTF8.self))")
                if Self.canonical(bytes) != nil { accepted += 1 } else { refused += 1 }
            }
        }
        print("canonical reader: accepted \(accepted), left \(refused)")
        #expect(accepted > 1_000 && refused > 10_000)
    }
}
