/// The ListGroups exchange (API key 16), versions 0–2: the request body is empty; the
/// response is throttle_time_ms (v1+), error_code, then (group_id, protocol_type) per group.
public enum ListGroups {
    public static func responseBody(version: Int16, groups: [(id: String, protocolType: String)]) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + groups.count * 32)
        if version >= 1 { writer.write(Int32(0)) }
        writer.write(ErrorCode.noError.rawValue)
        writer.write(Int32(groups.count))
        for group in groups {
            writer.writeString(group.id)
            writer.writeString(group.protocolType)
        }
        return writer.take()
    }
}
