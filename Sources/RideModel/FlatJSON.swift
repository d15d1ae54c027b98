/// A reader for one flat JSON object whose values are strings, numbers or null: the shape of
/// a `LocationEvent`. It walks raw bytes and hands each key and value to a callback, without
/// building a dictionary. Nested objects and arrays are rejected; malformed input throws with
/// the byte position.
enum FlatJSON {
    enum Value {
        case string(String)
        case number(Double)
        case integer(Int64)
        case null
    }

    /// Calls `field` with each key (as raw bytes) and its value, in order.
    static func forEachField(
        _ bytes: UnsafeRawBufferPointer, _ field: (UnsafeRawBufferPointer, Value) throws(EventDecodingError) -> Void
    ) throws(EventDecodingError) {
        var parser = Parser(bytes: bytes, index: 0)
        try parser.expect(UInt8(ascii: "{"))
        parser.skipSpace()
        if parser.peek() == UInt8(ascii: "}") { return }
        while true {
            parser.skipSpace()
            let key = try parser.rawString()
            try parser.expect(UInt8(ascii: ":"))
            try field(key, try parser.value())
            parser.skipSpace()
            if parser.peek() == UInt8(ascii: ",") {
                parser.index += 1
                continue
            }
            try parser.expect(UInt8(ascii: "}"))
            return
        }
    }

    struct Parser {
        let bytes: UnsafeRawBufferPointer
        var index: Int

        func fail(_ message: String) -> EventDecodingError {
            EventDecodingError("invalid JSON at byte \(index): \(message)")
        }

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0a || bytes[index] == 0x0d || bytes[index] == 0x09 {
                index += 1
            }
        }

        mutating func expect(_ byte: UInt8) throws(EventDecodingError) {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { throw fail("expected '\(Character(Unicode.Scalar(byte)))'") }
            index += 1
        }

        /// A string without escapes, as the bytes between the quotes.
        mutating func rawString() throws(EventDecodingError) -> UnsafeRawBufferPointer {
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string") }
            index += 1
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    return UnsafeRawBufferPointer(rebasing: bytes[start ..< index])
                }
                if byte == UInt8(ascii: "\\") { throw fail("escapes are not expected here") }
                index += 1
            }
            throw fail("unterminated string")
        }

        mutating func string() throws(EventDecodingError) -> String {
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string") }
            index += 1
            var raw: [UInt8] = []
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") {
                    return raw.isEmpty && !bytes[start ..< index - 1].contains(UInt8(ascii: "\\"))
                        ? String(decoding: bytes[start ..< index - 1], as: UTF8.self)
                        : String(decoding: raw, as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") {
                    if raw.isEmpty { raw.append(contentsOf: bytes[start ..< index - 1]) }
                    guard index < bytes.count else { break }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "n"): raw.append(0x0a)
                    case UInt8(ascii: "t"): raw.append(0x09)
                    case UInt8(ascii: "r"): raw.append(0x0d)
                    case UInt8(ascii: "u"):
                        guard bytes.count - index >= 4,
                              let code = UInt32(String(decoding: bytes[index ..< index + 4], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(code) else { throw fail("bad \\u escape") }
                        raw.append(contentsOf: Array(String(Character(scalar)).utf8))
                        index += 4
                    default: raw.append(escaped)
                    }
                } else if !raw.isEmpty {
                    raw.append(byte)
                }
            }
            throw fail("unterminated string")
        }

        mutating func value() throws(EventDecodingError) -> Value {
            skipSpace()
            guard let first = peek() else { throw fail("missing value") }
            switch first {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "n"):
                guard bytes.count - index >= 4, bytes[index + 1] == UInt8(ascii: "u"), bytes[index + 2] == UInt8(ascii: "l"),
                      bytes[index + 3] == UInt8(ascii: "l") else { throw fail("bad literal") }
                index += 4
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return try number()
            default: throw fail("unsupported value")
            }
        }

        /// Integers exactly; decimals with up to 17 digits are built from their digits (the
        /// same value `Double(text)` gives for the short decimals events carry), others via
        /// `Double(text)`.
        mutating func number() throws(EventDecodingError) -> Value {
            let start = index
            var negative = false
            if peek() == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            var mantissa: Int64 = 0
            var digits = 0
            var fractionDigits = 0
            var sawPoint = false
            var simple = true
            while index < bytes.count {
                let byte = bytes[index]
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    if digits < 17 {
                        mantissa = mantissa * 10 + Int64(byte - UInt8(ascii: "0"))
                        digits += 1
                        if sawPoint { fractionDigits += 1 }
                    } else {
                        simple = false
                    }
                } else if byte == UInt8(ascii: "."), !sawPoint {
                    sawPoint = true
                } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
                    simple = false
                } else {
                    break
                }
                index += 1
            }
            guard index > start + (negative ? 1 : 0) else { throw fail("bad number") }
            if simple {
                let signed = negative ? -mantissa : mantissa
                if !sawPoint { return .integer(signed) }
                if fractionDigits <= 6 { return .number(Double(signed) / FixedDecimal.scales[fractionDigits]) }
            }
            let text = String(decoding: bytes[start ..< index], as: UTF8.self)
            guard let double = Double(text) else { throw fail("bad number '\(text)'") }
            return .number(double)
        }
    }
}
