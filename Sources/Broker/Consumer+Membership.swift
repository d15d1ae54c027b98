import Groups
import KafkaWire
import LogStore

/// What one join–sync round gave a member, before it is applied.
struct JoinRound: Sendable {
    var memberID: MemberID
    var generation: GenerationID
    var isLeader: Bool
    var assignment: [TopicPartition]
    /// Every member's assignment, when this member led the round.
    var led: [MemberID: [TopicPartition]]?
    /// The assignor the group chose.
    var protocolName: String?
}

/// A cooperative join found the member no longer in the group: its partitions are lost.
struct DroppedFromGroup: Error {}

extension Consumer {
    /// Eager protocol: gives up every partition, then joins, syncs and takes the new
    /// assignment, all within this call (nothing is fetched meanwhile).
    func joinEagerly() async throws {
        if !assignment.isEmpty {
            await listener.onRevoked(assignment)
            revokedSinceRound += assignment
        }
        let owned = assignment
        assignment = []
        positions = [:]
        assignmentEpoch += 1
        let round = try await joinRound(owned: owned, ownedIn: generation)
        try await apply(round)
        // A group whose leader chose a cooperative assignor holds back what this member
        // claimed and is not given: it is free only once the member rejoins without it.
        if let name = round.protocolName, Assignors.named(name)?.rebalanceProtocol == .cooperative,
           !Set(owned).subtracting(round.assignment).isEmpty {
            needsJoin = true
        }
    }

    /// Cooperative protocol: starts a join–sync round in the background, keeping the
    /// partitions (and fetching them) until `poll` applies the round's answer.
    func startCooperativeJoin() {
        guard joining == nil else { return }
        let owned = assignment
        let ownedIn = generation
        joining = Task { await self.runCooperativeJoin(owned: owned, ownedIn: ownedIn) }
    }

    private func runCooperativeJoin(owned: [TopicPartition], ownedIn: GenerationID) async {
        do {
            finishedJoin = .success(try await joinRound(owned: owned, ownedIn: ownedIn))
        } catch {
            finishedJoin = .failure(error)
        }
    }

    /// Applies a finished background round, if there is one (`poll` calls this first). A
    /// round that found the member out of the group loses the partitions and starts again.
    func applyFinishedJoin() async throws {
        guard let finished = finishedJoin else { return }
        finishedJoin = nil
        joining = nil
        do {
            try await apply(try finished.get())
        } catch is DroppedFromGroup {
            await loseAssignment()
        }
    }

    /// A cooperative member that still owns partitions but whose join or sync says it is no
    /// longer in the group (or in its generation) has lost them: others may be given them
    /// now, so it must stop reading them before it claims anything again.
    private func checkStillAMember(_ code: ErrorCode, owned: [TopicPartition]) throws(DroppedFromGroup) {
        guard rebalanceProtocol == .cooperative, !owned.isEmpty, code == .unknownMemberId || code == .illegalGeneration else { return }
        if code == .unknownMemberId { memberID = .none }
        throw DroppedFromGroup()
    }

    /// Joins and syncs until the group answers with an assignment, retrying the protocol's
    /// transient answers. The subscription names `owned` and the generation it was owned in
    /// (what sticky assignors keep, and how a leader tells a stale claim).
    private func joinRound(owned: [TopicPartition], ownedIn: GenerationID) async throws -> JoinRound {
        var ownedIn = ownedIn
        while true {
            guard !closed else { throw CancellationError() }
            try Task.checkCancellation()
            let subscription = ConsumerSubscription(
                topics: configuration.topics, ownedPartitions: owned, generation: owned.isEmpty ? -1 : ownedIn.rawValue
            ).encode()
            let request = JoinRequest(
                memberID: memberID, clientID: configuration.clientID, clientHost: "in-process",
                sessionTimeoutMs: configuration.sessionTimeoutMs, rebalanceTimeoutMs: configuration.rebalanceTimeoutMs,
                protocolType: "consumer",
                protocols: configuration.assignors.map { GroupProtocol(name: $0, metadata: subscription) }
            )
            let joined = await broker.coordinator.join(groupID: configuration.groupID, request)
            // The id first: a member that joined as its task was cancelled (or it was closed)
            // must still be able to leave, not linger until its session expires.
            if joined.error == .memberIdRequired || joined.error == .noError { memberID = joined.memberID }
            if closed {
                if !memberID.isEmpty, !abandoned { _ = await broker.coordinator.leave(groupID: configuration.groupID, memberIDs: [memberID]) }
                throw CancellationError()
            }
            try Task.checkCancellation()
            try checkStillAMember(joined.error, owned: owned)
            guard try proceeds(after: joined.error, step: "joining") else { continue }
            // As in Kafka, a member that joined a generation claims what it owns in that
            // generation, even if the sync then fails: the leader of that generation left its
            // partitions to it (it never hands out what a current member claims), and a claim
            // from an older generation would count for nothing next round, its partitions
            // handed out while it still reads them.
            ownedIn = joined.generation
            let assignments = joined.isLeader ? try computeAssignments(joined) : [:]
            let synced = await broker.coordinator.sync(
                groupID: configuration.groupID, memberID: joined.memberID, generation: joined.generation, assignments: assignments
            )
            try Task.checkCancellation()
            try checkStillAMember(synced.error, owned: owned)
            guard try proceeds(after: synced.error, step: "syncing") else { continue }
            return JoinRound(
                memberID: joined.memberID, generation: joined.generation, isLeader: joined.isLeader,
                assignment: try ConsumerAssignment.decode(synced.assignment).partitions.sorted(),
                led: joined.isLeader ? try assignments.mapValues { try ConsumerAssignment.decode($0).partitions.sorted() } : nil,
                protocolName: joined.protocolName
            )
        }
    }

    /// Takes a round's assignment. Cooperatively, partitions it no longer lists are revoked
    /// now (and the member rejoins at once, so the leader can give them away in a second
    /// round); partitions it keeps go on from where they are; new ones start from the
    /// listener's offsets, else the committed offset, else `autoOffsetReset`.
    private func apply(_ round: JoinRound) async throws {
        memberID = round.memberID
        generation = round.generation
        isLeader = round.isLeader
        if let led = round.led {
            ledGenerations.append(LedGeneration(generation: round.generation, assignment: led))
            if ledGenerations.count > Self.maxLedGenerations { ledGenerations.removeFirst() }
        }
        let given = Set(round.assignment)
        let taken = assignment.filter { !given.contains($0) }
        let kept = Set(assignment).intersection(given)
        // The partitions taken are no longer this member's while it finishes them (their
        // positions stay until then, so the listener can commit them in the new generation).
        assignment = assignment.filter { kept.contains($0) }
        if !taken.isEmpty {
            await listener.onRevoked(taken)
            revokedSinceRound += taken
        }
        let added = round.assignment.filter { !kept.contains($0) }
        assignment = round.assignment
        positions = positions.filter { kept.contains($0.key) }
        assignmentEpoch += 1
        let chosen = await listener.onAssigned(added)
        let committed = await broker.coordinator.fetchOffsets(groupID: configuration.groupID, partitions: added)
        for id in added {
            positions[id] = try chosen[id] ?? committed[id]?.offset ?? resetPosition(id)
        }
        completedRounds.append(RebalanceRound(
            generation: round.generation, revoked: revokedSinceRound.sorted(), assigned: added, owned: assignment
        ))
        if completedRounds.count > Self.maxLedGenerations { completedRounds.removeFirst() }
        revokedSinceRound = []
        rebalances += 1
        // Cooperatively, what was revoked is free only once this member rejoins without it.
        needsJoin = rebalanceProtocol == .cooperative && !taken.isEmpty
        nextHeartbeat = clock.milliseconds() + configuration.heartbeatIntervalMs
    }

    /// The group no longer counts this member in (its session ended, or it missed a
    /// generation): every partition is lost, as Kafka's `onPartitionsLost`, before rejoining
    /// as a member that owns nothing.
    func loseAssignment() async {
        if !assignment.isEmpty {
            await listener.onRevoked(assignment)
            revokedSinceRound += assignment
        }
        assignment = []
        positions = [:]
        assignmentEpoch += 1
        generation = .none
        needsJoin = true
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
