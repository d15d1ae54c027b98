/// Decimal formatting with a fixed number of digits, exact and fast: the value is rounded to
/// an integer count of 10^-decimals and printed from that integer, so encoding is
/// deterministic and decoding gives back exactly `round(value, decimals)`.
enum FixedDecimal {
    static let scales: [Double] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]

    static func round(_ value: Double, decimals: Int) -> Double {
        (value * scales[decimals]).rounded() / scales[decimals]
    }

    /// 10^n for the decimals a value may have, as integers.
    static let powersOfTen: [UInt64] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]

    /// `value` as a count of 10^-decimals, rounded: what is written and read back.
    static func scaled(_ value: Double, decimals: Int) -> Int64 { Int64((value * scales[decimals]).rounded()) }
}
