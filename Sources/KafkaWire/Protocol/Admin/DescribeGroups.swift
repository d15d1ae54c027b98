/// The DescribeGroups exchange (API key 15), versions 0–4.
///
/// Request: groups [string], include_authorized_operations bool (v3+).
/// Response: throttle_time_ms (v1+), then per group: error_code, group_id, group_state,
/// protocol_type, protocol_data (the chosen assignor), members [member_id,
/// group_instance_id nullable (v4+), client_id, client_host, member_metadata bytes,
/// member_assignment bytes], authorized_operations int32 (v3+; INT32_MIN, "not computed").
/// A group the broker does not know is described as "Dead" with no error, as Kafka does.
public enum DescribeGroups {
    public struct Request: Hashable, Sendable {
        public var groups: [String]

        public static func decode(_ body: UnsafeRawBufferPointer, version: Int16) throws(WireError) -> Request {
            var reader = ByteReader(body)
            let groups = try reader.readStringArray("group")
            if version >= 3 { _ = try reader.readBool() }
            return Request(groups: groups)
        }
    }

    public struct Member: Hashable, Sendable {
        public var memberID: String
        public var clientID: String
        public var clientHost: String
        public var metadata: [UInt8]
        public var assignment: [UInt8]
        /// A static member's `group.instance.id` (v4+).
        public var instanceID: String?

        public init(memberID: String, clientID: String, clientHost: String, metadata: [UInt8], assignment: [UInt8], instanceID: String? = nil) {
            self.memberID = memberID
            self.clientID = clientID
            self.clientHost = clientHost
            self.metadata = metadata
            self.assignment = assignment
            self.instanceID = instanceID
        }
    }

    public struct Group: Hashable, Sendable {
        public var error: ErrorCode
        public var groupID: String
        public var state: String
        public var protocolType: String
        public var protocolName: String
        public var members: [Member]

        public init(error: ErrorCode = .noError, groupID: String, state: String, protocolType: String, protocolName: String, members: [Member]) {
            self.error = error
            self.groupID = groupID
            self.state = state
            self.protocolType = protocolType
            self.protocolName = protocolName
            self.members = members
        }
    }

    public static func responseBody(version: Int16, groups: [Group]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + groups.count * 128)
        if version >= 1 { writer.write(Int32(0)) }
        writer.write(Int32(groups.count))
        for group in groups {
            writer.write(group.error.rawValue)
            writer.writeString(group.groupID)
            writer.writeString(group.state)
            writer.writeString(group.protocolType)
            writer.writeString(group.protocolName)
            writer.write(Int32(group.members.count))
            for member in group.members {
                writer.writeString(member.memberID)
                if version >= 4 { writer.writeNullableString(member.instanceID) }
                writer.writeString(member.clientID)
                writer.writeString(member.clientHost)
                writer.writeBytes(member.metadata)
                writer.writeBytes(member.assignment)
            }
            if version >= 3 { writer.write(Int32.min) }
        }
        return writer.take()
    }
}
