/// The integer key of an event's row in `location_events`, made from its id.
///
/// The simulator's ids read `0000123-D00042`: the driver's sequence number (at least seven
/// digits) and the driver's number (at least five) — `Simulator.eventID`. The key is
/// `sequence * 10_000_000 + driver`, so that the row's `event_id` text is generated from it
/// (`sqlText`) instead of stored and indexed a second time, and an event stored twice still
/// fails its primary key. Ids of any other form have no key: they are refused, not stored
/// under a text that would read back differently.
enum EventKey {
    static let driverFactor: Int64 = 10_000_000
    /// Sequences beyond this would overflow the key (a year of seconds is 3.2 · 10^7).
    static let maxSequence: Int64 = Int64.max / driverFactor - 1

    /// SQL giving the id back from a key column, digit for digit.
    static func sqlText(_ column: String) -> String {
        "printf('%07d-D%05d', \(column) / \(driverFactor), \(column) % \(driverFactor))"
    }

    /// The key of an id's UTF-8 bytes, or nil when the id is not of the simulator's form.
    static func of(_ id: UnsafeRawBufferPointer) -> Int64? {
        guard let dash = id.firstIndex(of: UInt8(ascii: "-")),
              dash + 1 < id.count, id[dash + 1] == UInt8(ascii: "D"),
              let sequence = number(id[0 ..< dash], width: 7, below: maxSequence + 1),
              let driver = number(id[(dash + 2)...], width: 5, below: driverFactor)
        else { return nil }
        return sequence * driverFactor + driver
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
