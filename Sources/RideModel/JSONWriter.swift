/// Writes JSON into memory reserved beforehand: each byte is a store through a pointer, with
/// none of an array's growth and uniqueness checks per append. The caller reserves at least
/// `JSONWriter.capacity(texts:numbers:)` bytes for what it writes.
///
/// Texts are escaped as JSON requires (a quote, a backslash, a control character); numbers are
/// written as `FixedDecimal` defines them, so that what is decoded equals `round(value)`.
struct JSONWriter {
    private let base: UnsafeMutablePointer<UInt8>
    /// Bytes written so far.
    private(set) var count = 0

    init(_ base: UnsafeMutablePointer<UInt8>) { self.base = base }

    /// The most bytes a document of `literals` bytes of fixed text, texts of `texts` UTF-8
    /// bytes in all (each may take six bytes escaped, plus its quotes) and `numbers` numbers
    /// takes.
    static func capacity(literals: Int, texts: Int, textCount: Int, numbers: Int) -> Int {
        literals + 6 * texts + 2 * textCount + maxNumberBytes * numbers
    }

    /// A sign, 19 digits, a point: an `Int64`, or a `FixedDecimal` of one.
    static let maxNumberBytes = 21

    mutating func byte(_ value: UInt8) {
        base[count] = value
        count += 1
    }

    /// Fixed text (a key and its punctuation), copied as it is.
    mutating func literal(_ text: StaticString) {
        (base + count).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    /// A JSON string: the text in quotes, escaped.
    mutating func text(_ value: String) {
        byte(UInt8(ascii: "\""))
        if value.utf8.withContiguousStorageIfAvailable({ escaped($0) }) == nil {
            Array(value.utf8).withUnsafeBufferPointer { escaped($0) }
        }
        byte(UInt8(ascii: "\""))
    }

    /// A JSON string, or `null`.
    mutating func nullableText(_ value: String?) {
        guard let value else { return literal("null") }
        text(value)
    }

    private mutating func escaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                self.byte(UInt8(ascii: "\\"))
                self.byte(byte)
            case 0 ..< 0x20:
                literal("\\u00")
                self.byte(Self.hexDigit(byte >> 4))
                self.byte(Self.hexDigit(byte & 0xf))
            default:
                self.byte(byte)
            }
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }

    /// An integer's decimal digits, with its sign.
    mutating func integer(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        digits(value.magnitude)
    }

    /// `value` rounded to `decimals` places (0 to 6) and written with exactly that many.
    mutating func fixed(_ value: Double, decimals: Int) {
        let scaled = FixedDecimal.scaled(value, decimals: decimals)
        if scaled < 0 { byte(UInt8(ascii: "-")) }
        let magnitude = scaled.magnitude
        guard decimals > 0 else { return digits(magnitude) }
        let divisor = FixedDecimal.powersOfTen[decimals]
        digits(magnitude / divisor)
        byte(UInt8(ascii: "."))
        digits(magnitude % divisor, width: decimals)
    }

    /// The decimal digits of `value`, zero-padded to at least `width`.
    mutating func digits(_ value: UInt64, width: Int = 1) {
        var length = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            length += 1
        }
        length = max(length, width)
        rest = value
        for index in stride(from: count + length - 1, through: count, by: -1) {
            base[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        count += length
    }
}
