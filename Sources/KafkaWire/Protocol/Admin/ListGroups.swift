/// The ListGroups exchange (API key 16), versions 0–4.
///
/// Request: empty (v0–2); v3 is flexible (a tagged-field section only); v4 adds
/// states_filter compact [compact string] (empty: every state). Response: throttle_time_ms
/// (v1+), error_code, then groups [group_id, protocol_type, group_state (v4+)]; compact
/// encodings and tagged fields from v3.
public enum ListGroups {
    /// The states asked for (v4; empty or earlier versions: all), as sent.
    public static func decodeStatesFilter(_ body: UnsafeRawBufferPointer, version: Int16) throws(WireError) -> [String] {
        guard version >= 4 else { return [] }
        var reader = ByteReader(body)
        var states: [String] = []
        for _ in 0 ..< (try reader.readCompactNullableCount("state", minimumElementBytes: 1) ?? 0) {
            states.append(try reader.readCompactString())
        }
        try reader.skipTaggedFields()
        return states
    }

    public static func responseBody(version: Int16, groups: [(id: String, protocolType: String, state: String)]) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + groups.count * 32)
        if version >= 1 { writer.write(Int32(0)) }
        writer.write(ErrorCode.noError.rawValue)
        guard version >= 3 else {
            writer.write(Int32(groups.count))
            for group in groups {
                writer.writeString(group.id)
                writer.writeString(group.protocolType)
            }
            return writer.take()
        }
        writer.writeCompactCount(groups.count)
        for group in groups {
            writer.writeCompactString(group.id)
            writer.writeCompactString(group.protocolType)
            if version >= 4 { writer.writeCompactString(group.state) }
            writer.writeNoTaggedFields()
        }
        writer.writeNoTaggedFields()
        return writer.take()
    }
}
