@testable import RidePipeline
import Testing

/// `TextKey`: texts as keys by their bytes, short ones without a `String`.
@Suite struct TextKeyTests {
    static func key(_ bytes: [UInt8]) -> TextKey { bytes.withUnsafeBytes { TextKey($0) } }
    static func bytes(_ key: TextKey) -> [UInt8] { key.withBytes { Array($0) } }

    /// Every length, on both sides of the short limit (16 bytes), gives its bytes back, and keys are
    /// equal exactly when their bytes are (a trailing NUL or one more byte makes another key).
    @Test func keysGiveTheirBytesBackAndDifferWithThem() {
        var seen: Set<TextKey> = []
        for length in 0 ... 40 {
            let text = (0 ..< length).map { UInt8(0x41 + $0 % 26) }
            #expect(Self.bytes(Self.key(text)) == text, "\(length)")
            #expect(Self.key(text) == Self.key(text))
            #expect(seen.insert(Self.key(text)).inserted, "\(length)")
            #expect(Self.key(text + [0]) != Self.key(text), "\(length)")
        }
        #expect(seen.count == 41)
    }

    /// Canonically equivalent texts in different bytes ("é" composed and decomposed) are two
    /// keys, as SQLite's BINARY comparison makes them two rows; `String` would make them one.
    @Test func equivalenceIsByBytesAsSQLiteComparesTexts() {
        let composed = Array("caf\u{E9}".utf8), decomposed = Array("cafe\u{301}".utf8)
        #expect(String(decoding: composed, as: UTF8.self) == String(decoding: decomposed, as: UTF8.self))
        #expect(Self.key(composed) != Self.key(decomposed))
        #expect(Set([Self.key(composed), Self.key(decomposed), Self.key(composed)]).count == 2)
    }
}
