/// Rows of text cells laid out in columns sized from their content: nothing is ever cut,
/// whatever the length of an id, a partition list or a region name.
public struct TextTable: Sendable {
    public enum Alignment: Sendable { case left, right }

    public var alignments: [Alignment]
    public var rows: [[String]] = []
    /// Spaces between columns.
    public var gap = 2

    public init(_ alignments: [Alignment]) { self.alignments = alignments }

    /// Control characters in a cell (a client id or topic name from another program may hold
    /// terminal escapes) are shown as `\u{..}` rather than sent to the terminal.
    public mutating func append(_ row: [String]) { rows.append(row.map(Self.printable)) }

    public static func printable(_ cell: String) -> String {
        guard cell.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return cell }
        return String(cell.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }.joined())
    }

    /// The rows as lines, each prefixed by `indent`; trailing spaces are trimmed.
    public func lines(indent: String = "") -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0 ..< columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            var line = indent
            for (column, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                let alignment = column < alignments.count ? alignments[column] : .left
                if column > 0 { line += String(repeating: " ", count: gap) }
                line += alignment == .right ? padding + cell : cell + padding
            }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }
}
