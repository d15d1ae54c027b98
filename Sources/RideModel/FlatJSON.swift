/// A reader for one flat JSON object whose values are strings, numbers or null: the shape of
/// a `LocationEvent`. It walks raw bytes and hands each key and value to a callback, without
/// building a dictionary or a `String`: a string value is the range of its bytes, unescaped
/// only when asked (`unescaped`). Nested objects and arrays are rejected; malformed input
/// throws with the byte position.
enum FlatJSON {
    enum Value {
        /// The bytes between the quotes. `escaped`: they hold backslash escapes, so the value
        /// is `unescaped(range)`, not the bytes; `ascii`: every byte is below 0x80 (the bytes
        /// are valid UTF-8 as they are).
        case string(Range<Int>, escaped: Bool, ascii: Bool)
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

    /// The UTF-8 value of an escaped string's bytes (`Value.string(range, escaped: true, ...)`):
    /// `\n`, `\t`, `\r`, `\b`, `\f`, `\uXXXX` (surrogate pairs joined) and `\` before any other
    /// byte standing for that byte. Invalid UTF-8 is repaired with U+FFFD.
    static func unescaped(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(EventDecodingError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var index = range.lowerBound
        func fail(_ message: String) -> EventDecodingError { EventDecodingError("invalid JSON at byte \(index): \(message)") }
        func hex4(_ at: Int) -> UInt32? {
            guard range.upperBound - at >= 4 else { return nil }
            var code: UInt32 = 0
            for byte in bytes[at ..< at + 4] {
                guard let digit = hexDigit(byte) else { return nil }
                code = code << 4 | digit
            }
            return code
        }
        while index < range.upperBound {
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                continue
            }
            guard index < range.upperBound else { throw fail("unterminated escape") }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "u"):
                guard var code = hex4(index) else { throw fail("bad \\u escape") }
                index += 4
                if (0xD800 ..< 0xDC00).contains(code), range.upperBound > index + 1, bytes[index] == UInt8(ascii: "\\"),
                   bytes[index + 1] == UInt8(ascii: "u"), let low = hex4(index + 2), (0xDC00 ..< 0xE000).contains(low) {
                    code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
                    index += 6
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("bad \\u escape") }
                out.append(contentsOf: String(Character(scalar)).utf8)
            default: out.append(escaped)
            }
        }
        return out.allSatisfy({ $0 < 0x80 }) ? out : Array(String(decoding: out, as: UTF8.self).utf8)
    }

    /// Whether a string's bytes are valid UTF-8 as they are (decoding them repairs nothing).
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        String(decoding: bytes[range], as: UTF8.self).utf8.elementsEqual(bytes[range])
    }

    private static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
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
            guard case let .string(range, escaped, _) = try string() else { throw fail("expected a string") }
            guard !escaped else { throw fail("escapes are not expected here") }
            return UnsafeRawBufferPointer(rebasing: bytes[range])
        }

        /// A string value: the range between its quotes, and whether it holds escapes or bytes
        /// beyond ASCII.
        mutating func string() throws(EventDecodingError) -> Value {
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string") }
            index += 1
            let start = index
            if let end = plainEnd() {
                index = end + 1
                return .string(start ..< end, escaped: false, ascii: true)
            }
            var escaped = false
            var high: UInt8 = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    return .string(start ..< index, escaped: escaped, ascii: high < 0x80)
                }
                high |= byte
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    index += 1
                }
                index += 1
            }
            throw fail("unterminated string")
        }

        /// Reads a text's bytes a word at a time while they hold no backslash and no byte
        /// beyond ASCII (most of an event's texts): the closing quote's position when it is
        /// reached so; otherwise nil, with `index` at the first such byte or where fewer than
        /// eight bytes are left, for `string` to read on byte by byte.
        @inline(__always) mutating func plainEnd() -> Int? {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            while bytes.count - index >= 8 {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                // `(x - ones) & ~x & highs` has a byte's high bit set where `x` has a zero
                // byte, exactly at the lowest one (a borrow can only mark bytes above it).
                let quote = word ^ (ones &* UInt64(UInt8(ascii: "\""))), backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
                let special = (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | word) & highs
                guard special != 0 else {
                    index += 8
                    continue
                }
                let first = index + special.trailingZeroBitCount / 8
                if bytes[first] == UInt8(ascii: "\"") { return first }
                index = first
                return nil
            }
            return nil
        }

        mutating func value() throws(EventDecodingError) -> Value {
            skipSpace()
            guard let first = peek() else { throw fail("missing value") }
            switch first {
            case UInt8(ascii: "\""): return try string()
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
        /// `Double(text)`. The usual shape (a sign, digits, a point and up to six digits) is read
        /// by `plainNumber`; any other by `numberByEveryByte`, which gives the same value for
        /// the usual shape too.
        mutating func number() throws(EventDecodingError) -> Value {
            if let plain = plainNumber() { return plain }
            return try numberByEveryByte()
        }

        /// `[-]digits[.digits]` with at most 17 digits, at most six after the point, and no
        /// digit, point, sign or exponent right after it: its value, or nil (and `index`
        /// unchanged) for anything else.
        @inline(__always) mutating func plainNumber() -> Value? {
            var at = index
            let negative = at < bytes.count && bytes[at] == UInt8(ascii: "-")
            if negative { at += 1 }
            var mantissa: Int64 = 0
            let integerStart = at
            while at < bytes.count, case let digit = bytes[at] &- UInt8(ascii: "0"), digit < 10 {
                mantissa = mantissa &* 10 &+ Int64(digit)
                at += 1
            }
            let integerDigits = at - integerStart
            var fractionDigits = 0
            let pointed = at < bytes.count && bytes[at] == UInt8(ascii: ".")
            if pointed {
                at += 1
                let fractionStart = at
                while at < bytes.count, case let digit = bytes[at] &- UInt8(ascii: "0"), digit < 10 {
                    mantissa = mantissa &* 10 &+ Int64(digit)
                    at += 1
                }
                fractionDigits = at - fractionStart
            }
            guard integerDigits > 0, !pointed || fractionDigits > 0, fractionDigits <= 6, integerDigits + fractionDigits <= 17 else { return nil }
            if at < bytes.count {
                switch bytes[at] {
                case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"): return nil
                default: break
                }
            }
            index = at
            let signed = negative ? -mantissa : mantissa
            return pointed ? .number(Double(signed) / FixedDecimal.scales[fractionDigits]) : .integer(signed)
        }

        /// A number read byte by byte, in any shape JSON allows (and some it does not, which
        /// `Double(text)` then refuses).
        mutating func numberByEveryByte() throws(EventDecodingError) -> Value {
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
