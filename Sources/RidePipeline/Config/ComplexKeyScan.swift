/// Finds YAML complex mapping keys in a configuration's text before the YAML library sees it.
///
/// Every key of a RideStream configuration is a plain name. A complex key — the explicit
/// `? ` indicator, or a flow collection (`{...}`, `[...]`) followed by `:` — is refused: the
/// YAML library compares such keys recursively to find duplicates, in time exponential in
/// their nesting, so a few kilobytes of nested `? ` keys would hold the loader for minutes.
///
/// A small scanner, not a parser: it skips comments and quoted scalars ('…' with '' escapes,
/// "…" with backslash escapes) and looks at what starts a token. It may refuse a plain scalar
/// that is itself written like a complex key (`a: x, ? y` inside a flow collection); it never
/// misses one.
enum ComplexKeyScan {
    /// The 1-based line of the first complex key, or nil when there is none.
    static func firstComplexKey(in text: String) -> Int? {
        let bytes = Array(text.utf8)
        var line = 1
        var index = 0
        /// Whether the next non-blank byte starts a token where a key may begin.
        var atKeyStart = true
        /// Whether the last token closed a flow collection (a `:` after it makes it a key).
        var closedCollection = false
        func isBlank(_ byte: UInt8?) -> Bool { byte == nil || byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        while index < bytes.count {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : nil
            switch byte {
            case 0x0A:
                line += 1
                atKeyStart = true
                closedCollection = false
                index += 1
            case 0x20, 0x09, 0x0D:
                index += 1
            case UInt8(ascii: "#") where index == 0 || isBlank(bytes[index - 1]):
                while index < bytes.count, bytes[index] != 0x0A { index += 1 }
            case UInt8(ascii: "'"), UInt8(ascii: "\"") where index == 0 || isBlank(bytes[index - 1]) || "[{,:".utf8.contains(bytes[index - 1]):
                index = skipQuoted(bytes, from: index, line: &line)
                atKeyStart = false
                closedCollection = false
            case UInt8(ascii: "?") where atKeyStart && isBlank(next):
                return line
            case UInt8(ascii: ":") where closedCollection:
                return line
            case UInt8(ascii: "-") where atKeyStart && isBlank(next):
                index += 1
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: ","):
                atKeyStart = true
                closedCollection = false
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                atKeyStart = false
                closedCollection = true
                index += 1
            default:
                atKeyStart = byte == UInt8(ascii: ":") && isBlank(next)
                closedCollection = false
                index += 1
            }
        }
        return nil
    }

    /// The index after the quoted scalar starting at `start`, counting the lines it spans.
    private static func skipQuoted(_ bytes: [UInt8], from start: Int, line: inout Int) -> Int {
        let quote = bytes[start]
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A { line += 1 }
            if quote == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if byte == quote {
                // '' inside single quotes is an escaped quote.
                if quote == UInt8(ascii: "'"), index + 1 < bytes.count, bytes[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return index
    }
}
