/// The fields of an event's JSON (`LocationEvent`), in the order the simulator writes them.
///
/// A key is matched from its bytes, without building a `String`: its length and first eight
/// bytes as one integer, then any bytes beyond. The lookup starts at the field after the one
/// found last, so keys in the usual order are found at the first comparison.
enum EventField: String, CaseIterable {
    case eventId, driverId, region, lat, lon, speedKmh, status, tripId, riderId, milestone, surge, ts

    private struct Key {
        let field: EventField
        let name: [UInt8]
        let head: UInt64
    }

    private static let keys: [Key] = allCases.map { field in
        let name = Array(field.rawValue.utf8)
        return name.withUnsafeBytes { Key(field: field, name: name, head: head($0)) }
    }

    /// The key's first eight bytes, little-endian, zero beyond its end.
    private static func head(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var value: UInt64 = 0
        for index in 0 ..< min(8, key.count) { value |= UInt64(key[index]) << (8 * index) }
        return value
    }

    /// The field named by `key` and its position, looking from `position` on (wrapping round);
    /// nil for a key that is not an event field.
    static func named(_ key: UnsafeRawBufferPointer, from position: Int) -> (field: EventField, position: Int)? {
        let keyHead = head(key)
        let keys = Self.keys
        var index = position < keys.count ? position : 0
        for _ in 0 ..< keys.count {
            let candidate = keys[index]
            if candidate.head == keyHead, candidate.name.count == key.count,
               key.count <= 8 || candidate.name[8...].elementsEqual(key[8...]) {
                return (candidate.field, index)
            }
            index = index + 1 == keys.count ? 0 : index + 1
        }
        return nil
    }
}
