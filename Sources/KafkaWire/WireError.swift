/// Why bytes could not be decoded as Kafka data.
///
/// Thrown by the pure codec; `offset` is the byte position in the input where the problem was
/// found, so callers that know the file or connection can name the exact place.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// The input ended before the structure did.
        case truncated
        /// A field holds a value the format does not allow (negative length, bad varint, ...).
        case malformed
        /// A RecordBatch's stored CRC-32C does not match its bytes.
        case checksumMismatch
        /// A batch with a magic byte other than 2.
        case unsupportedMagic
        /// A compressed batch whose records were asked for; stored batches pass through unchanged.
        case unsupportedCompression
    }

    public var kind: Kind
    public var message: String
    public var offset: Int

    public init(_ kind: Kind, _ message: String, at offset: Int = 0) {
        self.kind = kind
        self.message = message
        self.offset = offset
    }

    public var description: String { "\(kind.rawValue) at byte \(offset): \(message)" }
}
