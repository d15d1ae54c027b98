import Foundation
@testable import RidePipeline
import SQLite
import TestSupport
import Testing

/// The integer key of `location_events` and the texts SQLite generates back from it.
@Suite struct EventKeyTests {
    static func key(_ id: String) -> Int64? {
        Array(id.utf8).withUnsafeBytes { EventKey.of($0) }
    }

    /// Every id the simulator makes has a key, and SQLite's generated `event_id` is the id
    /// again, digit for digit, for small and wide numbers alike.
    @Test(arguments: [(0, "D00001"), (123, "D00042"), (9_999_999, "D99999"), (31_536_000, "D1000000"), (0, "D100000")])
    func simulatorIDsReadBackTheSame(sequence: Int, driver: String) throws {
        let id = Simulator.eventID(sequence: sequence, driver: driver)
        let key = try #require(Self.key(id), "\(id)")
        let database = try Database(path: ":memory:")
        let text = try database.prepare("SELECT \(EventKey.sqlText("?1"))")
        text.bind(1, key)
        #expect(try text.step())
        #expect(text.string(0) == id)
    }

    /// Ids of another form have no key: padded differently, other letters, out of range.
    @Test(arguments: [
        "", "-", "0000123", "0000123-", "0000123-D", "0000123-X00042", "000123-D00042", "0000123-D0042", "00001234-D00042",
        "0000123-D010000", "0000123-D10000000", "+000123-D00042", "0000123-D0004a", "0000123_D00042", "99999999999999999999-D00001",
    ])
    func otherIDsHaveNoKey(id: String) {
        #expect(Self.key(id) == nil, "\(id)")
    }

    /// The generated `ts` is `Timestamp.iso` of the stored milliseconds.
    @Test(arguments: [Int64(0), 1_767_600_000_000, 1_767_600_001_001, 1_767_603_599_999, 951_782_400_123])
    func generatedTimesMatchTheISOText(ms: Int64) throws {
        let database = try Database(path: ":memory:")
        let text = try database.prepare("SELECT \(Timestamp.sqlText("?1"))")
        text.bind(1, ms)
        #expect(try text.step())
        #expect(text.string(0) == Timestamp.iso(ms))
    }
}
