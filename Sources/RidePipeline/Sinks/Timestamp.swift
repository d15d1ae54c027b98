/// ISO 8601 UTC text for a millisecond timestamp, e.g. `2026-01-05T08:00:01.000Z`: readable in
/// the databases, sortable as text, and understood by SQLite's date functions.
enum Timestamp {
    static func iso(_ milliseconds: Int64) -> String { text(milliseconds, length: 24) }

    /// The minute containing the timestamp, as `2026-01-05T08:00` (UTC).
    static func minute(_ milliseconds: Int64) -> String { text(milliseconds, length: 16) }

    /// SQL giving `iso` of an integer millisecond column (`%f` is seconds with milliseconds).
    static func isoSQL(_ column: String) -> String {
        "strftime('%Y-%m-%dT%H:%M:%fZ', \(column) / 1000.0, 'unixepoch')"
    }

    /// The first millisecond of the minute containing the timestamp.
    static func minuteStart(_ milliseconds: Int64) -> Int64 { floorDivide(milliseconds, 60_000) * 60_000 }

    /// The first `length` characters of the ISO form, written digit by digit into the
    /// string's own storage (no intermediate strings: this runs once or twice per event).
    private static func text(_ milliseconds: Int64, length: Int) -> String {
        let days = floorDivide(milliseconds, 86_400_000)
        let inDay = milliseconds - days * 86_400_000
        let (year, month, day) = civil(fromDays: days)
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var position = 0
            func digits(_ value: Int64, _ width: Int) {
                var value = max(0, value)
                for index in stride(from: width - 1, through: 0, by: -1) {
                    buffer[position + index] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                    value /= 10
                }
                position += width
            }
            func mark(_ character: UInt8) {
                buffer[position] = character
                position += 1
            }
            digits(year, 4); mark(0x2D); digits(month, 2); mark(0x2D); digits(day, 2); mark(0x54)
            digits(inDay / 3_600_000, 2); mark(0x3A); digits(inDay / 60_000 % 60, 2); mark(0x3A)
            digits(inDay / 1000 % 60, 2); mark(0x2E); digits(inDay % 1000, 3); mark(0x5A)
            return length
        }
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
