@testable import RideModel
import Testing

/// `FlatJSON.Parser.number` reads the usual shape through `plainNumber`: it must end where,
/// and give what, reading every byte gives.
@Suite struct FlatJSONNumberTests {
    /// The value (bit for bit), or the error, and where reading stopped.
    static func read(_ text: [UInt8], _ body: (inout FlatJSON.Parser) throws(EventDecodingError) -> FlatJSON.Value) -> String {
        text.withUnsafeBytes { raw in
            var parser = FlatJSON.Parser(bytes: raw, index: 0)
            do {
                return switch try body(&parser) {
                case let .number(value): "number \(value.bitPattern) at \(parser.index)"
                case let .integer(value): "integer \(value) at \(parser.index)"
                case let other: "\(other) at \(parser.index)"
                }
            } catch {
                return "error: \(error)"
            }
        }
    }

    @Test func theUsualShapeIsReadAsEveryByteReadsIt() {
        var random = SplitMix64(seed: 5)
        let alphabet = Array("0123456789.-+eE,}x".utf8)
        var plain = 0
        for round in 0 ..< 60_000 {
            var text: [UInt8]
            if round.isMultiple(of: 2) {
                // Well formed: a sign, up to 19 digits, maybe a point and up to 8 more, then an end.
                text = random.chance(0.5) ? [UInt8(ascii: "-")] : []
                text += (0 ..< 1 + random.next() % 19).map { _ in UInt8(ascii: "0") + UInt8(random.next() % 10) }
                if random.chance(0.6) {
                    text.append(UInt8(ascii: "."))
                    text += (0 ..< random.next() % 9).map { _ in UInt8(ascii: "0") + UInt8(random.next() % 10) }
                }
                if random.chance(0.8) { text.append(alphabet[10 + Int(random.next() % 8)]) }
            } else {
                text = (0 ..< 1 + random.next() % 24).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            }
            let usual = Self.read(text) { (parser) throws(EventDecodingError) in try parser.number() }
            let everyByte = Self.read(text) { (parser) throws(EventDecodingError) in try parser.numberByEveryByte() }
            #expect(usual == everyByte, "\(String(decoding: text, as: UTF8.self))")
            let shortcut = text.withUnsafeBytes { raw in
                var parser = FlatJSON.Parser(bytes: raw, index: 0)
                return parser.plainNumber()
            }
            if shortcut != nil { plain += 1 }
        }
        #expect(plain > 10_000)
    }

    @Test(arguments: [
        ("12.934512,", "number", 9), ("-0.5}", "number", 4), ("1767600017000}", "integer", 13), ("7", "integer", 1),
    ])
    func eventNumbersTakeTheShortcut(text: String, kind: String, end: Int) {
        let result = Self.read(Array(text.utf8)) { (parser) throws(EventDecodingError) in
            guard let value = parser.plainNumber() else { throw EventDecodingError("not plain") }
            return value
        }
        #expect(result.hasPrefix(kind) && result.hasSuffix("at \(end)"))
    }
}
