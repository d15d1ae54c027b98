/// Decimal formatting with a fixed number of digits, exact and fast: the value is rounded to
/// an integer count of 10^-decimals and printed from that integer, so encoding is
/// deterministic and decoding gives back exactly `round(value, decimals)`.
enum FixedDecimal {
    static let scales: [Double] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000]

    static func round(_ value: Double, decimals: Int) -> Double {
        (value * scales[decimals]).rounded() / scales[decimals]
    }

    static func write(_ value: Double, decimals: Int, into out: inout [UInt8]) {
        let scaled = Int64((value * scales[decimals]).rounded())
        let magnitude = scaled.magnitude
        if scaled < 0 { out.append(UInt8(ascii: "-")) }
        let divisor = UInt64(scales[decimals])
        writeDigits(magnitude / divisor, into: &out)
        guard decimals > 0 else { return }
        out.append(UInt8(ascii: "."))
        writeDigits(magnitude % divisor, width: decimals, into: &out)
    }

    /// The decimal digits of `value`, zero-padded to at least `width`, without building a
    /// `String`.
    static func writeDigits(_ value: UInt64, width: Int = 1, into out: inout [UInt8]) {
        var remaining = value
        var count = 1
        while remaining >= 10 {
            remaining /= 10
            count += 1
        }
        count = max(count, width)
        let end = out.count + count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        remaining = value
        var index = end - 1
        while remaining > 0 {
            out[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
            index -= 1
        }
    }

    /// An integer's decimal digits (with its sign).
    static func write(_ value: Int64, into out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        writeDigits(value.magnitude, into: &out)
    }
}

/// JSON string escaping.
enum JSONText {
    static func string(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: value.utf8)
            return out.append(UInt8(ascii: "\""))
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0 ..< 0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0xf))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }

    static func nullableString(_ value: String?, into out: inout [UInt8]) {
        guard let value else { return out.append(contentsOf: "null".utf8) }
        string(value, into: &out)
    }
}
