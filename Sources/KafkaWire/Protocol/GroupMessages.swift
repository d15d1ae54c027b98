/// Codecs of the group APIs in their non-flexible versions: FindCoordinator (10) v0–2,
/// JoinGroup (11) v0–5, Heartbeat (12) v0–3, LeaveGroup (13) v0–3, SyncGroup (14) v0–3,
/// OffsetCommit (8) v0–7 and OffsetFetch (9) v1–5. Field order follows the Kafka message
/// schemas (`clients/src/main/resources/common/message/*.json`).
public enum GroupCodec {
    public static func findCoordinatorKey(_ body: UnsafeRawBufferPointer) throws(WireError) -> String {
        var reader = ByteReader(body)
        return try reader.readString()
    }

    public static func findCoordinatorResponse(version: Int16, error: ErrorCode, nodeID: Int32, host: String, port: Int32) -> [UInt8] {
        var writer = ByteWriter()
        if version >= 1 { writer.write(Int32(0)) }
        writer.write(error.rawValue)
        if version >= 1 { writer.writeNullableString(nil) }
        writer.write(nodeID)
        writer.writeString(host)
        writer.write(port)
        return writer.take()
    }

    public struct Join: Sendable {
        public var groupID: String
        public var sessionTimeoutMs: Int32
        public var rebalanceTimeoutMs: Int32
        public var memberID: String
        public var protocolType: String
        public var protocols: [(name: String, metadata: [UInt8])]
        /// v5+: a static member's `group.instance.id`.
        public var groupInstanceID: String?

        public static func decode(_ body: UnsafeRawBufferPointer, version: Int16) throws(WireError) -> Join {
            var reader = ByteReader(body)
            let group = try reader.readString()
            let session = try reader.readInt32()
            let rebalance = version >= 1 ? try reader.readInt32() : -1
            let member = try reader.readString()
            let instance = version >= 5 ? try reader.readNullableString() : nil
            let type = try reader.readString()
            let count = try reader.readCount("protocol", minimumElementBytes: 6)
            var protocols: [(String, [UInt8])] = []
            for _ in 0 ..< count { protocols.append((try reader.readString(), try reader.readNullableBytes() ?? [])) }
            return Join(
                groupID: group, sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, memberID: member, protocolType: type,
                protocols: protocols, groupInstanceID: instance
            )
        }
    }

    public static func joinResponse(
        version: Int16, error: ErrorCode, generation: Int32, protocolName: String, leader: String, memberID: String,
        members: [(id: String, metadata: [UInt8], instance: String?)]
    ) -> [UInt8] {
        var writer = ByteWriter()
        if version >= 2 { writer.write(Int32(0)) }
        writer.write(error.rawValue)
        writer.write(generation)
        writer.writeString(protocolName)
        writer.writeString(leader)
        writer.writeString(memberID)
        writer.write(Int32(members.count))
        for member in members {
            writer.writeString(member.id)
            if version >= 5 { writer.writeNullableString(member.instance) }
            writer.writeBytes(member.metadata)
        }
        return writer.take()
    }

    public struct Sync: Sendable {
        public var groupID: String
        public var generation: Int32
        public var memberID: String
        public var assignments: [(memberID: String, assignment: [UInt8])]
        /// v3+: a static member's `group.instance.id`.
        public var groupInstanceID: String?

        public static func decode(_ body: UnsafeRawBufferPointer, version: Int16) throws(WireError) -> Sync {
            var reader = ByteReader(body)
            let group = try reader.readString()
            let generation = try reader.readInt32()
            let member = try reader.readString()
            let instance = version >= 3 ? try reader.readNullableString() : nil
            let count = try reader.readCount("assignment", minimumElementBytes: 6)
            var assignments: [(String, [UInt8])] = []
            for _ in 0 ..< count { assignments.append((try reader.readString(), try reader.readNullableBytes() ?? [])) }
            return Sync(groupID: group, generation: generation, memberID: member, assignments: assignments, groupInstanceID: instance)
        }
    }

    public static func syncResponse(version: Int16, error: ErrorCode, assignment: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        if version >= 1 { writer.write(Int32(0)) }
        writer.write(error.rawValue)
        writer.writeBytes(assignment)
        return writer.take()
    }

    /// Heartbeat request: group, generation, member, and (v3+) the static member's instance id.
    public static func heartbeat(
        _ body: UnsafeRawBufferPointer, version: Int16
    ) throws(WireError) -> (group: String, generation: Int32, member: String, instance: String?) {
        var reader = ByteReader(body)
        let group = try reader.readString()
        let generation = try reader.readInt32()
        let member = try reader.readString()
        let instance = version >= 3 ? try reader.readNullableString() : nil
        return (group, generation, member, instance)
    }

    /// A response carrying only an error code (Heartbeat, and LeaveGroup before v3).
    public static func errorResponse(version: Int16, throttleFrom: Int16 = 1, error: ErrorCode) -> [UInt8] {
        var writer = ByteWriter()
        if version >= throttleFrom { writer.write(Int32(0)) }
        writer.write(error.rawValue)
        return writer.take()
    }

    /// LeaveGroup request: the group and the leaving members, with (v3+) each one's instance id.
    public static func leave(
        _ body: UnsafeRawBufferPointer, version: Int16
    ) throws(WireError) -> (group: String, members: [(id: String, instance: String?)]) {
        var reader = ByteReader(body)
        let group = try reader.readString()
        if version < 3 { return (group, [(try reader.readString(), nil)]) }
        let count = try reader.readCount("member", minimumElementBytes: 4)
        var members: [(id: String, instance: String?)] = []
        for _ in 0 ..< count { members.append((try reader.readString(), try reader.readNullableString())) }
        return (group, members)
    }

    public static func leaveResponse(
        version: Int16, error: ErrorCode, members: [(id: String, instance: String?, error: ErrorCode)]
    ) -> [UInt8] {
        var writer = ByteWriter()
        if version >= 1 { writer.write(Int32(0)) }
        writer.write(error.rawValue)
        if version >= 3 {
            writer.write(Int32(members.count))
            for member in members {
                writer.writeString(member.id)
                writer.writeNullableString(member.instance)
                writer.write(member.error.rawValue)
            }
        }
        return writer.take()
    }

    public struct Commit: Sendable {
        public var groupID: String
        public var generation: Int32
        public var memberID: String
        public var topics: [(name: String, partitions: [(partition: Int32, offset: Int64, metadata: String?)])]
        /// v7+: a static member's `group.instance.id`.
        public var groupInstanceID: String?

        public static func decode(_ body: UnsafeRawBufferPointer, version: Int16) throws(WireError) -> Commit {
            var reader = ByteReader(body)
            let group = try reader.readString()
            // v0 has no membership: a commit from outside the group, as with generation -1.
            let generation = version >= 1 ? try reader.readInt32() : -1
            let member = version >= 1 ? try reader.readString() : ""
            let instance = version >= 7 ? try reader.readNullableString() : nil
            if version >= 2 && version <= 4 { _ = try reader.readInt64() }  // retention time
            let count = try reader.readCount("topic", minimumElementBytes: 6)
            var topics: [(String, [(Int32, Int64, String?)])] = []
            for _ in 0 ..< count {
                let name = try reader.readString()
                let partitionCount = try reader.readCount("partition", minimumElementBytes: 14)
                var partitions: [(Int32, Int64, String?)] = []
                for _ in 0 ..< partitionCount {
                    let partition = try reader.readInt32()
                    let offset = try reader.readInt64()
                    if version >= 6 { _ = try reader.readInt32() }  // leader epoch
                    if version == 1 { _ = try reader.readInt64() }  // commit timestamp (the broker's own is kept)
                    partitions.append((partition, offset, try reader.readNullableString()))
                }
                topics.append((name, partitions))
            }
            return Commit(groupID: group, generation: generation, memberID: member, topics: topics, groupInstanceID: instance)
        }
    }

    public static func commitResponse(version: Int16, topics: [(name: String, partitions: [(partition: Int32, error: ErrorCode)])]) -> [UInt8] {
        var writer = ByteWriter()
        if version >= 3 { writer.write(Int32(0)) }
        writer.writeTopics(topics) { out, partition in
            out.write(partition.partition)
            out.write(partition.error.rawValue)
        }
        return writer.take()
    }

    /// OffsetFetch request: the group and its topics' partitions; nil topics means all (v2+).
    public static func offsetFetch(_ body: UnsafeRawBufferPointer, version: Int16) throws(WireError) -> (group: String, topics: [(name: String, partitions: [Int32])]?) {
        var reader = ByteReader(body)
        let group = try reader.readString()
        let count = try reader.readInt32()
        if count < 0 { return (group, nil) }
        guard Int(count) <= reader.remaining / 6 else { throw WireError(.malformed, "topic count \(count)", at: reader.position) }
        var topics: [(String, [Int32])] = []
        for _ in 0 ..< count {
            let name = try reader.readString()
            let partitionCount = try reader.readCount("partition", minimumElementBytes: 4)
            var partitions: [Int32] = []
            for _ in 0 ..< partitionCount { partitions.append(try reader.readInt32()) }
            topics.append((name, partitions))
        }
        return (group, topics)
    }

    public static func offsetFetchResponse(
        version: Int16, topics: [(name: String, partitions: [(partition: Int32, offset: Int64, metadata: String)])]
    ) -> [UInt8] {
        var writer = ByteWriter()
        if version >= 3 { writer.write(Int32(0)) }
        writer.writeTopics(topics) { out, partition in
            out.write(partition.partition)
            out.write(partition.offset)
            if version >= 5 { out.write(Int32(-1)) }  // leader epoch
            out.writeNullableString(partition.metadata)
            out.write(ErrorCode.noError.rawValue)
        }
        if version >= 2 { writer.write(ErrorCode.noError.rawValue) }
        return writer.take()
    }
}
