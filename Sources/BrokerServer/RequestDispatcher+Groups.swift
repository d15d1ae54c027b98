import Broker
import Groups
import KafkaWire
import LogStore

extension RequestDispatcher {
    /// The group APIs, answered by the broker's `GroupCoordinator` (the same state machine the
    /// in-process consumers use). Returns nil for APIs that are not group APIs.
    func respondToGroupRequest(_ header: RequestHeader, _ raw: UnsafeRawBufferPointer, clientHost: String) async throws(WireError) -> [UInt8]? {
        let version = header.apiVersion
        let coordinator = broker.coordinator
        switch header.apiKey {
        case .findCoordinator:
            _ = try GroupCodec.findCoordinatorKey(raw)
            return GroupCodec.findCoordinatorResponse(
                version: version, error: .noError, nodeID: advertised.nodeID, host: advertised.host, port: advertised.port
            )
        case .joinGroup:
            let join = try GroupCodec.Join.decode(raw, version: version)
            let request = JoinRequest(
                memberID: MemberID(join.memberID), clientID: header.clientID ?? "", clientHost: clientHost,
                sessionTimeoutMs: join.sessionTimeoutMs, rebalanceTimeoutMs: join.rebalanceTimeoutMs,
                protocolType: join.protocolType,
                protocols: join.protocols.map { GroupProtocol(name: $0.name, metadata: $0.metadata) },
                requireKnownMemberID: version >= 4, groupInstanceID: join.groupInstanceID
            )
            let answer = await coordinator.join(groupID: join.groupID, request)
            return GroupCodec.joinResponse(
                version: version, error: answer.error, generation: answer.generation.rawValue, protocolName: answer.protocolName ?? "",
                leader: answer.leader.rawValue, memberID: answer.memberID.rawValue,
                members: answer.members.map { ($0.memberID.rawValue, $0.metadata, $0.instanceID) }
            )
        case .syncGroup:
            let sync = try GroupCodec.Sync.decode(raw, version: version)
            var assignments: [MemberID: [UInt8]] = [:]
            for entry in sync.assignments { assignments[MemberID(entry.memberID)] = entry.assignment }
            let answer = await coordinator.sync(
                groupID: sync.groupID, memberID: MemberID(sync.memberID), generation: GenerationID(sync.generation), assignments: assignments,
                instanceID: sync.groupInstanceID
            )
            return GroupCodec.syncResponse(version: version, error: answer.error, assignment: answer.assignment)
        case .heartbeat:
            let beat = try GroupCodec.heartbeat(raw, version: version)
            let code = await coordinator.heartbeat(
                groupID: beat.group, memberID: MemberID(beat.member), generation: GenerationID(beat.generation), instanceID: beat.instance
            )
            return GroupCodec.errorResponse(version: version, error: code)
        case .leaveGroup:
            let leave = try GroupCodec.leave(raw, version: version)
            let results = await coordinator.leave(
                groupID: leave.group, memberIDs: leave.members.map { MemberID($0.id) }, instanceIDs: leave.members.map(\.instance)
            )
            let overall: ErrorCode = version < 3 ? (results.first ?? ErrorCode.unknownMemberId) : .noError
            return GroupCodec.leaveResponse(
                version: version, error: overall, members: Array(zip(leave.members, results)).map { ($0.0.id, $0.0.instance, $0.1) }
            )
        case .offsetCommit:
            let commit = try GroupCodec.Commit.decode(raw, version: version)
            var offsets: [TopicPartition: CommittedOffset] = [:]
            for topic in commit.topics {
                for partition in topic.partitions {
                    offsets[TopicPartition(topic.name, PartitionID(partition.partition))] =
                        CommittedOffset(offset: Offset(partition.offset), metadata: partition.metadata ?? "")
                }
            }
            let results = await coordinator.commitOffsets(
                groupID: commit.groupID, memberID: MemberID(commit.memberID), generation: GenerationID(commit.generation),
                instanceID: commit.groupInstanceID, offsets: offsets
            )
            return GroupCodec.commitResponse(version: version, topics: commit.topics.map { topic in
                (topic.name, topic.partitions.map { partition in
                    (partition.partition, results[TopicPartition(topic.name, PartitionID(partition.partition))] ?? .unknownServerError)
                })
            })
        case .offsetFetch:
            let request = try GroupCodec.offsetFetch(raw, version: version)
            let committed = await coordinator.fetchOffsets(groupID: request.group)
            let topics: [(name: String, partitions: [Int32])] = request.topics
                ?? Dictionary(grouping: committed.keys, by: \.topic).map { ($0.key, $0.value.map(\.partition.rawValue).sorted()) }
            return GroupCodec.offsetFetchResponse(version: version, topics: topics.map { topic in
                (topic.name, topic.partitions.map { partition in
                    let entry = committed[TopicPartition(topic.name, PartitionID(partition))]
                    return (partition, entry?.offset.rawValue ?? -1, entry?.metadata ?? "")
                })
            })
        default:
            return nil
        }
    }
}
