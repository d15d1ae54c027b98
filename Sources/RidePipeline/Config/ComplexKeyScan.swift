/// Finds, in a configuration's text before the YAML library sees it, what makes that library's
/// duplicate-key check expensive: complex mapping keys and anchors or aliases.
///
/// Every key of a RideStream configuration is a plain name, and no value needs an anchor. A
/// complex key — the `?` indicator, or a flow collection (`{...}`, `[...]`) followed by `:` —
/// and an anchor (`&a`) or alias (`*a`) are refused: the YAML library compares and hashes
/// mapping keys recursively, in time exponential in their nesting (and an alias can stand for
/// a key of 2^40 nodes), so a few hundred bytes would hold the loader for hours.
///
/// A small scanner, not a parser, erring on the side of refusing: it skips comments and quoted
/// scalars ('…' with '' escapes, "…" with backslash escapes), follows flow collections' depth,
/// and looks at what starts a token. Every YAML line break (LF, CR, NEL, LS, PS) ends a line.
/// It may refuse text that only looks like one of these (a block scalar's text, say); it
/// never lets one through.
enum ComplexKeyScan {
    /// What was found, and on which (1-based) line.
    struct Finding: Equatable {
        var line: Int
        var problem: String
    }

    static func first(in text: String) -> Finding? {
        let scalars = Array(text.unicodeScalars)
        var line = 1
        var index = 0
        var depth = 0
        /// Whether a key may begin at the next token (line start, after `- `, `? `, `: `, or
        /// inside a flow collection after `[`, `{` or `,`).
        var atKeyStart = true
        /// Whether the last token closed a flow collection: a `:` after it makes it a key.
        var closedCollection = false
        func isBreak(_ scalar: Unicode.Scalar) -> Bool { ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) }
        func isBlank(_ position: Int) -> Bool {
            position < 0 || position >= scalars.count || scalars[position] == " " || scalars[position] == "\t" || isBreak(scalars[position])
        }
        /// Whether the scalar at `position` starts a token.
        func startsToken(_ position: Int) -> Bool {
            isBlank(position - 1) || (depth > 0 && "[{,".unicodeScalars.contains(scalars[position - 1]))
        }
        let complexKey = "a complex mapping key ('?' or a collection before ':'): every key here is a plain name"
        while index < scalars.count {
            let scalar = scalars[index]
            if isBreak(scalar) {
                // CR LF is one break.
                if scalar != "\r" || index + 1 >= scalars.count || scalars[index + 1] != "\n" { line += 1 }
                if depth == 0 { atKeyStart = true }
                closedCollection = false
                index += 1
                continue
            }
            switch scalar {
            case " ", "\t":
                break
            case "#" where isBlank(index - 1):
                while index + 1 < scalars.count, !isBreak(scalars[index + 1]) { index += 1 }
            case "'" where startsToken(index), "\"" where startsToken(index):
                index = skipQuoted(scalars, from: index, line: &line, isBreak: isBreak) - 1
                atKeyStart = false
                closedCollection = false
            case "?" where depth > 0 && startsToken(index), "?" where atKeyStart && isBlank(index + 1):
                return Finding(line: line, problem: complexKey)
            case "&" where startsToken(index), "*" where startsToken(index):
                return Finding(line: line, problem: "an anchor or alias ('&' or '*'): write each value out")
            case ":" where closedCollection:
                return Finding(line: line, problem: complexKey)
            case "-" where atKeyStart && isBlank(index + 1):
                break
            case "[" where startsToken(index), "{" where startsToken(index):
                depth += 1
                atKeyStart = true
                closedCollection = false
            case "," where depth > 0:
                atKeyStart = true
                closedCollection = false
            case "]" where depth > 0, "}" where depth > 0:
                depth -= 1
                atKeyStart = false
                closedCollection = true
            default:
                atKeyStart = scalar == ":" && (isBlank(index + 1) || depth > 0)
                closedCollection = false
            }
            index += 1
        }
        return nil
    }

    /// The index after the quoted scalar starting at `start`, counting the lines it spans.
    private static func skipQuoted(
        _ scalars: [Unicode.Scalar], from start: Int, line: inout Int, isBreak: (Unicode.Scalar) -> Bool
    ) -> Int {
        let quote = scalars[start]
        var index = start + 1
        while index < scalars.count {
            let scalar = scalars[index]
            if isBreak(scalar), scalar != "\r" || index + 1 >= scalars.count || scalars[index + 1] != "\n" { line += 1 }
            if quote == "\"", scalar == "\\" {
                index += 2
                continue
            }
            if scalar == quote {
                // '' inside single quotes is an escaped quote.
                if quote == "'", index + 1 < scalars.count, scalars[index + 1] == quote {
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
