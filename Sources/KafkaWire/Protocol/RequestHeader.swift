/// The header of a Kafka request.
///
/// v1: api_key int16, api_version int16, correlation_id int32, client_id nullable string.
/// v2 (flexible versions) adds a tagged-field section after client_id; the client id itself
/// stays a non-compact nullable string.
public struct RequestHeader: Hashable, Sendable {
    public var apiKey: ApiKey
    public var apiVersion: Int16
    public var correlationID: Int32
    public var clientID: String?

    public init(apiKey: ApiKey, apiVersion: Int16, correlationID: Int32, clientID: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationID = correlationID
        self.clientID = clientID
    }

    /// Reads the header at the start of a frame; returns it and where the body starts.
    ///
    /// Only api key, version and correlation id are needed to answer an error, so a frame whose
    /// header is cut after those still yields them through `minimal(of:)`.
    public static func parse(_ frame: [UInt8]) throws(WireError) -> (header: RequestHeader, bodyStart: Int) {
        try frame.withRawBytes { (raw) throws(WireError) in
            var reader = ByteReader(raw)
            let key = ApiKey(rawValue: try reader.readInt16())
            let version = try reader.readInt16()
            let correlation = try reader.readInt32()
            let client = try reader.readNullableString()
            if key.isFlexible(version) { try TaggedFields.skip(&reader) }
            return (RequestHeader(apiKey: key, apiVersion: version, correlationID: correlation, clientID: client), reader.position)
        }
    }

    /// Api key, version and correlation id alone, for answering requests whose header is
    /// otherwise unreadable or of an unsupported version.
    public static func minimal(of frame: [UInt8]) throws(WireError) -> (apiKey: ApiKey, apiVersion: Int16, correlationID: Int32) {
        try frame.withRawBytes { (raw) throws(WireError) in
            var reader = ByteReader(raw)
            return (ApiKey(rawValue: try reader.readInt16()), try reader.readInt16(), try reader.readInt32())
        }
    }
}

/// Tagged fields of flexible versions: an unsigned varint count, then (tag, size, bytes)
/// each. This broker sends none and skips the ones it receives.
public enum TaggedFields {
    public static func skip(_ reader: inout ByteReader) throws(WireError) {
        let count = try reader.readUnsignedVarint()
        for _ in 0 ..< count {
            _ = try reader.readUnsignedVarint()
            let size = try reader.readUnsignedVarint()
            _ = try reader.skip(Int(size))
        }
    }
}

extension ByteReader {
    /// An unsigned varint (compact protocol fields), at most 5 bytes for 32-bit values.
    public mutating func readUnsignedVarint() throws(WireError) -> UInt32 {
        var value: UInt32 = 0
        var shift: UInt32 = 0
        let start = position
        while true {
            guard position < buffer.count else { throw WireError(.truncated, "unsigned varint runs past the end", at: start) }
            let byte = buffer[position]
            position += 1
            value |= UInt32(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift > 28 { throw WireError(.malformed, "unsigned varint longer than 5 bytes", at: start) }
        }
    }
}
