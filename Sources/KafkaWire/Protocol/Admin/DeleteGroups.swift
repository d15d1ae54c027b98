/// The DeleteGroups exchange (API key 42), versions 0–1 (byte-identical).
///
/// Request: groups_names [string]. Response: throttle_time_ms, then results [group_id,
/// error_code].
public enum DeleteGroups {
    public static func decodeRequest(_ body: UnsafeRawBufferPointer) throws(WireError) -> [String] {
        var reader = ByteReader(body)
        return try reader.readStringArray("group id")
    }

    public static func responseBody(_ results: [(groupID: String, error: ErrorCode)]) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + results.count * 24)
        writer.write(Int32(0))
        writer.write(Int32(results.count))
        for result in results {
            writer.writeString(result.groupID)
            writer.write(result.error.rawValue)
        }
        return writer.take()
    }
}
