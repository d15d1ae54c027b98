import Groups
import KafkaWire
import LogStore

extension Consumer {
    /// Joins (or rejoins) the group, runs the assignor when leader, syncs, and sets the
    /// positions of the new assignment. Retries the protocol's transient answers.
    func joinGroup() async throws {
        if !assignment.isEmpty {
            await listener.onRevoked(assignment)
        }
        let owned = assignment
        assignment = []
        positions = [:]
        while true {
            guard !closed else { throw CancellationError() }
            try Task.checkCancellation()
            let subscription = ConsumerSubscription(topics: configuration.topics, ownedPartitions: owned).encode()
            let request = JoinRequest(
                memberID: memberID, clientID: configuration.clientID, clientHost: "in-process",
                sessionTimeoutMs: configuration.sessionTimeoutMs, rebalanceTimeoutMs: configuration.rebalanceTimeoutMs,
                protocolType: "consumer",
                protocols: configuration.assignors.map { GroupProtocol(name: $0, metadata: subscription) }
            )
            let joined = await broker.coordinator.join(groupID: configuration.groupID, request)
            // The id first: a member that joined as its task was cancelled must still be able
            // to leave (`close`), not linger until its session expires.
            if joined.error == .memberIdRequired || joined.error == .noError { memberID = joined.memberID }
            try Task.checkCancellation()
            guard try proceeds(after: joined.error, step: "joining") else { continue }
            memberID = joined.memberID
            generation = joined.generation
            isLeader = joined.isLeader
            let assignments = joined.isLeader ? try computeAssignments(joined) : [:]
            let synced = await broker.coordinator.sync(
                groupID: configuration.groupID, memberID: memberID, generation: generation, assignments: assignments
            )
            try Task.checkCancellation()
            guard try proceeds(after: synced.error, step: "syncing") else { continue }
            assignment = try ConsumerAssignment.decode(synced.assignment).partitions.sorted()
            if joined.isLeader {
                let led = try assignments.mapValues { try ConsumerAssignment.decode($0).partitions.sorted() }
                ledGenerations.append(LedGeneration(generation: generation, assignment: led))
                if ledGenerations.count > Self.maxLedGenerations { ledGenerations.removeFirst() }
            }
            break
        }
        let chosen = await listener.onAssigned(assignment)
        let committed = await broker.coordinator.fetchOffsets(groupID: configuration.groupID, partitions: assignment)
        for id in assignment {
            positions[id] = try chosen[id] ?? committed[id]?.offset ?? resetPosition(id)
        }
        rebalances += 1
        needsJoin = false
        nextHeartbeat = clock.milliseconds() + configuration.heartbeatIntervalMs
    }

    /// Whether the join / sync may go on after `code`: false for the protocol's transient
    /// answers, which restart the round (an unknown member id also drops the id); throws for
    /// anything else.
    private func proceeds(after code: ErrorCode, step: String) throws(BrokerError) -> Bool {
        switch code {
        case .noError:
            return true
        case .unknownMemberId:
            memberID = .none
            return false
        case .memberIdRequired, .rebalanceInProgress, .illegalGeneration:
            return false
        default:
            throw BrokerError(code, "\(step) group '\(configuration.groupID)' failed: \(code)")
        }
    }

    /// The leader's job: decode every member's subscription and run the chosen assignor.
    private func computeAssignments(_ joined: JoinResponse) throws -> [MemberID: [UInt8]] {
        guard let name = joined.protocolName, let assignor = Assignors.named(name) else {
            throw BrokerError(.inconsistentGroupProtocol, "group '\(configuration.groupID)' chose unknown assignor '\(joined.protocolName ?? "")'")
        }
        var subscriptions: [MemberID: ConsumerSubscription] = [:]
        for member in joined.members {
            subscriptions[member.memberID] = try ConsumerSubscription.decode(member.metadata)
        }
        var counts: [String: Int] = [:]
        for topic in Set(subscriptions.values.flatMap(\.topics)) {
            if let count = try? broker.partitionCount(topic) { counts[topic] = count }
        }
        let result = assignor.assign(subscriptions: subscriptions, partitionCounts: counts)
        return result.mapValues { ConsumerAssignment(partitions: $0).encode() }
    }
}
