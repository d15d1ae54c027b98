/// The integer key of an event's row in `location_event_rows`: its partition and its id.
///
/// The simulator's ids read `0000123-D00042`: the driver's sequence number (at least seven
/// digits) and the driver's number (at least five) — `Simulator.eventID`. The key packs the
/// partition, the sequence and the driver into one integer, in that order of significance:
///
///     bits 51–62 partition (< 4096) · bits 21–50 sequence (< 2^30) · bits 0–20 driver (< 2^21)
///
/// so that a partition's events, which arrive in sequence order, are appended at the end of
/// that partition's range of keys (one B-tree with a few growing ends, as the log itself);
/// the `location_events` view makes the row's `event_id` and `"partition"` back from it
/// (`idSQL`, `partitionSQL`) instead of storing and indexing them a second time, and an
/// event stored twice in its partition (a producer's duplicate is in the same one) still
/// fails the primary key. Ids of any other form, or numbers beyond these ranges, have no key:
/// they are refused, not stored under a text that would read back differently.
enum EventKey {
    static let driverBits: Int64 = 21
    static let sequenceBits: Int64 = 30
    static let partitionBits: Int64 = 12
    static let sequenceShift = driverBits
    static let partitionShift = driverBits + sequenceBits
    static let partitions: Int64 = 1 << partitionBits
    static let sequences: Int64 = 1 << sequenceBits
    static let drivers: Int64 = 1 << driverBits

    /// SQL giving the event id back from a key column, digit for digit.
    static func idSQL(_ column: String) -> String {
        "printf('%07d-D%05d', (\(column) >> \(sequenceShift)) & \(sequences - 1), \(column) & \(drivers - 1))"
    }

    /// SQL giving the partition back from a key column.
    static func partitionSQL(_ column: String) -> String { "\(column) >> \(partitionShift)" }

    /// The key of an id's UTF-8 bytes in `partition`, or nil when the id is not of the
    /// simulator's form or a number is out of its range.
    static func of(_ id: UnsafeRawBufferPointer, partition: Int32) -> Int64? {
        guard partition >= 0, Int64(partition) < partitions,
              let dash = id.firstIndex(of: UInt8(ascii: "-")),
              dash + 1 < id.count, id[dash + 1] == UInt8(ascii: "D"),
              let sequence = number(id[0 ..< dash], width: 7, below: sequences),
              let driver = number(id[(dash + 2)...], width: 5, below: drivers)
        else { return nil }
        return Int64(partition) << partitionShift | sequence << sequenceShift | driver
    }

    /// Decimal digits that `printf("%0<width>d")` would write the same way: at least `width`
    /// of them, with no leading zero beyond the padding; nil otherwise or at `below` and over.
    private static func number(_ digits: Slice<UnsafeRawBufferPointer>, width: Int, below limit: Int64) -> Int64? {
        guard digits.count >= width, digits.count <= 18, digits.count == width || digits.first != UInt8(ascii: "0") else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value < limit ? value : nil
    }
}
