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
        var magnitude = scaled.magnitude
        if scaled < 0 { out.append(UInt8(ascii: "-")) }
        let divisor = UInt64(scales[decimals])
        out.append(contentsOf: String(magnitude / divisor).utf8)
        guard decimals > 0 else { return }
        out.append(UInt8(ascii: "."))
        magnitude %= divisor
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: decimals)
        var index = decimals - 1
        while magnitude > 0 {
            digits[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            index -= 1
        }
        out.append(contentsOf: digits)
    }
}

/// JSON string escaping.
enum JSONText {
    static func string(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0 ..< 0x20:
                out.append(contentsOf: "\\u00".utf8)
                let hex = Array("0123456789abcdef".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xf)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func nullableString(_ value: String?, into out: inout [UInt8]) {
        guard let value else { return out.append(contentsOf: "null".utf8) }
        string(value, into: &out)
    }
}
