/// A text as a set member or dictionary key, made from its UTF-8 bytes without building a
/// `String`: up to 16 bytes are held in two words and a length, compared and hashed as
/// integers; a longer text is kept as an array of its bytes. The simulator's driver ids (6
/// bytes) and region names (at most 15) are all short.
///
/// Two keys are equal when their bytes are, as SQLite compares texts (not by Unicode
/// equivalence, as `String` does): what a processor counts as one text is what its table
/// stores as one row.
struct TextKey: Hashable {
    private enum Storage: Hashable {
        case short(UInt64, UInt64, count: UInt8)
        case long([UInt8])
    }

    private let storage: Storage

    /// The most bytes the two words hold.
    static let shortLimit = MemoryLayout<(UInt64, UInt64)>.size

    init(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.shortLimit else {
            storage = .long(Array(bytes))
            return
        }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: bytes) }
        storage = .short(words.0, words.1, count: UInt8(bytes.count))
    }

    /// Gives `body` the text's bytes.
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        switch storage {
        case let .long(bytes):
            return bytes.withUnsafeBytes(body)
        case let .short(low, high, count):
            var words = (low, high)
            return withUnsafeBytes(of: &words) { body(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(count)))) }
        }
    }
}
