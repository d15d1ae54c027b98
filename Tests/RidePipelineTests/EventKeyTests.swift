import Foundation
@testable import RidePipeline
import SQLite
import TestSupport
import Testing

/// The integer key of `location_event_rows` and the texts the `location_events` view makes
/// back from it.
@Suite struct EventKeyTests {
    static func key(_ id: String, partition: Int32 = 3) -> Int64? {
        Array(id.utf8).withUnsafeBytes { EventKey.of($0, partition: partition) }
    }

    /// Every id the simulator makes has a key in every partition, and the view's `event_id`
    /// and `"partition"` give both back, digit for digit, for small and wide
    /// numbers alike.
    @Test(arguments: [(0, "D00001", 0), (123, "D00042", 3), (9_999_999, "D99999", 999), (31_536_000, "D1000000", 4095), (0, "D100000", 1)])
    func simulatorIDsReadBackTheSame(sequence: Int, driver: String, partition: Int32) throws {
        let id = Simulator.eventID(sequence: sequence, driver: driver)
        let key = try #require(Self.key(id, partition: partition), "\(id)")
        let database = try Database(path: ":memory:")
        let text = try database.prepare("SELECT \(EventKey.idSQL("?1")), \(EventKey.partitionSQL("?1"))")
        text.bind(1, key)
        #expect(try text.step())
        #expect(text.string(0) == id)
        #expect(text.int(1) == Int64(partition))
    }

    /// A partition's events, in the order it holds them (sequence, then driver), have
    /// increasing keys, all above every key of the partitions before it.
    @Test func keysGrowWithinAPartitionAndPartitionsDoNotOverlap() throws {
        var keys: [Int64] = []
        for partition: Int32 in [0, 1, 2] {
            for sequence in [1, 2, 1_073_741_823] {
                for driver in ["D00001", "D00777", "D2097151"] {
                    keys.append(try #require(Self.key(Simulator.eventID(sequence: sequence, driver: driver), partition: partition)))
                }
            }
        }
        #expect(keys == keys.sorted() && Set(keys).count == keys.count)
    }

    /// Ids of another form have no key: padded differently, other letters, out of range.
    @Test(arguments: [
        "", "-", "0000123", "0000123-", "0000123-D", "0000123-X00042", "000123-D00042", "0000123-D0042", "00001234-D00042",
        "0000123-D010000", "0000123-D2097152", "1073741824-D00001", "+000123-D00042", "0000123-D0004a", "0000123_D00042",
        "99999999999999999999-D00001",
    ])
    func otherIDsHaveNoKey(id: String) {
        #expect(Self.key(id) == nil, "\(id)")
    }

    @Test func partitionsBeyondTheKeysRangeHaveNoKey() {
        #expect(Self.key("0000123-D00042", partition: 4096) == nil)
        #expect(Self.key("0000123-D00042", partition: -1) == nil)
    }

    /// The view's `ts` is `Timestamp.iso` of the stored milliseconds.
    @Test(arguments: [Int64(0), 1_767_600_000_000, 1_767_600_001_001, 1_767_603_599_999, 951_782_400_123])
    func viewTimesMatchTheISOText(ms: Int64) throws {
        let database = try Database(path: ":memory:")
        let text = try database.prepare("SELECT \(Timestamp.isoSQL("?1"))")
        text.bind(1, ms)
        #expect(try text.step())
        #expect(text.string(0) == Timestamp.iso(ms))
    }
}
