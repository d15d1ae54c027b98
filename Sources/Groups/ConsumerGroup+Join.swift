import KafkaWire

extension ConsumerGroup {
    /// A JoinGroup request. Returns an immediate answer, or nil when the request is parked
    /// until the join phase completes (then an `.answerJoin` action carries its answer), plus
    /// actions answering other parked requests.
    public mutating func join(
        _ request: JoinRequest, requestID: RequestID, now: Int64
    ) -> (answer: JoinResponse?, actions: [GroupAction]) {
        guard state != .dead else { return (.failure(.coordinatorNotAvailable), []) }
        guard request.sessionTimeoutMs >= configuration.minSessionTimeoutMs,
              request.sessionTimeoutMs <= configuration.maxSessionTimeoutMs
        else { return (.failure(.invalidSessionTimeout, memberID: request.memberID), []) }
        guard !request.protocols.isEmpty, !request.protocolType.isEmpty,
              members.isEmpty || (request.protocolType == protocolType && !candidateProtocols(adding: request).isEmpty)
        else { return (.failure(.inconsistentGroupProtocol, memberID: request.memberID), []) }

        var memberID = request.memberID
        var actions: [GroupAction] = []
        /// A static member that came back under a new member id: the id it replaced.
        var replaced: MemberID?
        if let instance = request.groupInstanceID, let holder = staticMembers[instance], members[holder] != nil {
            if memberID.isEmpty {
                memberID = memberIDGenerator(request.clientID)
                actions += replaceStaticMember(holder, with: memberID, request: request, now: now)
                replaced = holder
            } else if memberID != holder {
                return (.failure(.fencedInstanceId, memberID: memberID), [])
            }
        } else if memberID.isEmpty {
            guard members.count + pendingMembers.count < configuration.maxGroupSize else {
                return (.failure(.groupMaxSizeReached), [])
            }
            memberID = memberIDGenerator(request.clientID)
            // A static member is known by its instance id: no MEMBER_ID_REQUIRED round trip.
            if request.requireKnownMemberID && request.groupInstanceID == nil {
                pendingMembers[memberID] = now + Int64(request.sessionTimeoutMs)
                return (.failure(.memberIdRequired, memberID: memberID), [])
            }
        } else if let known = members[memberID], known.instanceID != request.groupInstanceID {
            // A member cannot take up (or drop) an instance id it did not join with, as in Kafka.
            return (.failure(.unknownMemberId, memberID: memberID), [])
        } else if members[memberID] == nil {
            guard pendingMembers.removeValue(forKey: memberID) != nil else {
                return (.failure(.unknownMemberId, memberID: memberID), [])
            }
        }

        let rebalanceTimeout = request.rebalanceTimeoutMs > 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs
        let isNewMember = members[memberID] == nil
        if var member = members[memberID] {
            // A known member rejoining. A follower whose protocols did not change gets the
            // current generation back while the group is stable: nothing to rebalance. So does
            // a static member back from a restart whose protocols still hold the group's
            // protocol (its metadata may differ: cooperative-sticky's lists what it owned),
            // the leader too, told it follows (Kafka's answer before JoinGroup v9): it syncs
            // and gets the assignment in force.
            let unchanged = replaced != nil
                ? request.protocols.contains { $0.name == protocolName }
                : member.protocols == request.protocols
            if let parked = member.pendingJoin {
                actions.append(.answerJoin(parked, .failure(.unknownMemberId, memberID: memberID)))
            }
            member.protocols = request.protocols
            member.sessionTimeoutMs = request.sessionTimeoutMs
            member.rebalanceTimeoutMs = rebalanceTimeout
            member.sessionDeadline = now + Int64(request.sessionTimeoutMs)
            if state == .stable && unchanged && (memberID != leader || replaced != nil) {
                members[memberID] = member
                var answer = joinAnswer(for: memberID)
                if let replaced, memberID == leader {
                    answer.leader = replaced
                    answer.members = []
                }
                return (answer, actions)
            }
            member.pendingJoin = requestID
            members[memberID] = member
        } else {
            if members.isEmpty { protocolType = request.protocolType }
            members[memberID] = GroupMember(
                id: memberID, clientID: request.clientID, clientHost: request.clientHost,
                sessionTimeoutMs: request.sessionTimeoutMs, rebalanceTimeoutMs: rebalanceTimeout,
                protocols: request.protocols, pendingJoin: requestID,
                sessionDeadline: now + Int64(request.sessionTimeoutMs), instanceID: request.groupInstanceID,
                idKnown: !request.memberID.isEmpty || request.groupInstanceID != nil
            )
            joinOrder.append(memberID)
            if let instance = request.groupInstanceID { staticMembers[instance] = memberID }
        }
        if state != .preparingRebalance {
            actions += prepareRebalance(now: now)
        } else if isNewMember {
            extendInitialDelay(now: now)
        }
        actions += completeJoinIfReady(now: now, deadlinePassed: false)
        return (nil, actions)
    }

    /// The owner gave up the parked join `requestID` (its connection closed, its consumer
    /// stopped): nobody waits for the answer any more. A member that join made, whose client
    /// never learned its id, is removed at once (it could never sync, heartbeat or leave, so
    /// it would hold the group until its session expired, leading a generation nobody
    /// assigns); the group goes on as after a leave. A known member's join stays counted, as
    /// in Kafka: its client may rejoin under its id (a static member under its instance id).
    public mutating func abandonJoin(_ requestID: RequestID, now: Int64) -> [GroupAction] {
        guard let (id, member) = members.first(where: { $0.value.pendingJoin == requestID }), !member.idKnown else { return [] }
        removeMember(id, .abandoned, now: now)
        return rebalanceAfterDeparture(now: now)
    }

    /// Protocol names every member (and the joining request) supports.
    func candidateProtocols(adding request: JoinRequest? = nil) -> [String] {
        var sets = members.values.filter { $0.id != request?.memberID }.map { Set($0.protocols.map(\.name)) }
        if let request { sets.append(Set(request.protocols.map(\.name))) }
        guard var common = sets.first else { return [] }
        for set in sets.dropFirst() { common.formIntersection(set) }
        return common.sorted()
    }

    /// Enters PreparingRebalance: every member must rejoin before the join deadline. Parked
    /// syncs of the previous round are told REBALANCE_IN_PROGRESS.
    mutating func prepareRebalance(now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        for (id, member) in members {
            if let parked = member.pendingSync {
                actions.append(.answerSync(parked, .failure(.rebalanceInProgress)))
                members[id]?.pendingSync = nil
            }
        }
        let longest = Int64(members.values.map(\.rebalanceTimeoutMs).max() ?? 0)
        if state == .empty && configuration.initialRebalanceDelayMs > 0 {
            // An empty group waits for more members, whether it never had any or all left.
            initialDelayLimit = now + max(longest, 1)
            extendInitialDelay(now: now)
        } else {
            initialDelayLimit = nil
            joinDeadline = now + longest
        }
        state = .preparingRebalance
        return actions
    }

    /// The initial delay runs on from `now` (a rebalance of an empty group began, or a new
    /// member joined while it waits), no further than its limit.
    mutating func extendInitialDelay(now: Int64) {
        guard let limit = initialDelayLimit else { return }
        joinDeadline = min(now + configuration.initialRebalanceDelayMs, limit)
    }

    /// Ends the join phase when every member has rejoined (and no initial delay is running), or
    /// when the deadline passed, dropping members that did not rejoin.
    mutating func completeJoinIfReady(now: Int64, deadlinePassed: Bool) -> [GroupAction] {
        guard state == .preparingRebalance else { return [] }
        let allJoined = members.values.allSatisfy { $0.pendingJoin != nil }
        let waitingForInitialDelay = initialDelayLimit != nil && now < joinDeadline
        guard deadlinePassed || (allJoined && !waitingForInitialDelay) else { return [] }
        initialDelayLimit = nil
        // Static members that did not rejoin stay until their session ends (KIP-345): the
        // leader assigns them their share, which they take when they come back.
        for (id, member) in members where member.pendingJoin == nil && member.instanceID == nil { removeMember(id, .notRejoined, now: now) }

        generation = generation.next
        rebalanceCount += 1
        guard !members.isEmpty else {
            state = .empty
            protocolName = ""
            leader = .none
            return []
        }
        protocolName = selectProtocol()
        // The leader must be one that rejoined (a static member away keeps its place, not the lead).
        if members[leader]?.pendingJoin == nil {
            leader = joinOrder.first { members[$0]?.pendingJoin != nil } ?? joinOrder.first { members[$0] != nil } ?? members.keys.min()!
        }
        state = .completingRebalance
        syncDeadline = now + Int64(members.values.map(\.rebalanceTimeoutMs).max() ?? 0)
        var actions: [GroupAction] = []
        for id in members.keys.sorted() {
            members[id]?.assignment = []
            guard var member = members[id], let parked = member.pendingJoin else { continue }
            member.pendingJoin = nil
            member.idKnown = true
            member.sessionDeadline = now + Int64(member.sessionTimeoutMs)
            members[id] = member
            actions.append(.answerJoin(parked, joinAnswer(for: id)))
        }
        return actions
    }

    /// The JoinGroup answer for a member of the current generation.
    func joinAnswer(for id: MemberID) -> JoinResponse {
        let everyone = id == leader
            ? members.keys.sorted().map {
                JoinedMember(memberID: $0, metadata: members[$0]!.metadata(for: protocolName), instanceID: members[$0]!.instanceID)
            }
            : []
        return JoinResponse(
            error: .noError, generation: generation, protocolType: protocolType, protocolName: protocolName,
            leader: leader, memberID: id, members: everyone
        )
    }

    /// The protocol every member supports that most members list first; ties go to the name
    /// that sorts first, so every coordinator picks the same.
    func selectProtocol() -> String {
        let candidates = Set(candidateProtocols())
        var votes: [String: Int] = [:]
        for member in members.values {
            if let choice = member.protocols.first(where: { candidates.contains($0.name) }) {
                votes[choice.name, default: 0] += 1
            }
        }
        return votes.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? candidates.sorted().first ?? ""
    }

    /// Gives a static member's place (its assignment, its place in the join order, leadership)
    /// to the new member id it joined with; requests of the old id still parked are answered
    /// FENCED_INSTANCE_ID.
    mutating func replaceStaticMember(_ old: MemberID, with new: MemberID, request: JoinRequest, now: Int64) -> [GroupAction] {
        guard var member = members.removeValue(forKey: old) else { return [] }
        if departures.count == Self.maxDepartures { departures.removeFirst() }
        departures.append(GroupDeparture(
            memberID: old, clientID: member.clientID, clientHost: member.clientHost, reason: .replaced,
            sessionTimeoutMs: member.sessionTimeoutMs, atMs: now
        ))
        var actions: [GroupAction] = []
        if let parked = member.pendingJoin { actions.append(.answerJoin(parked, .failure(.fencedInstanceId, memberID: old))) }
        if let parked = member.pendingSync { actions.append(.answerSync(parked, .failure(.fencedInstanceId))) }
        member.pendingJoin = nil
        member.pendingSync = nil
        member.id = new
        member.clientID = request.clientID
        member.clientHost = request.clientHost
        members[new] = member
        joinOrder = joinOrder.map { $0 == old ? new : $0 }
        if leader == old { leader = new }
        if let instance = member.instanceID { staticMembers[instance] = new }
        return actions
    }

    /// Whether a request naming `instance` comes from the member that holds it now; a request
    /// of a static member replaced since is FENCED_INSTANCE_ID.
    func fenced(_ memberID: MemberID, instance: String?) -> Bool {
        guard let instance, let holder = staticMembers[instance] else { return false }
        return holder != memberID
    }

    mutating func removeMember(_ id: MemberID, _ reason: GroupDeparture.Reason, now: Int64) {
        if let instance = members[id]?.instanceID, staticMembers[instance] == id { staticMembers[instance] = nil }
        if let member = members[id] {
            if departures.count == Self.maxDepartures { departures.removeFirst() }
            departures.append(GroupDeparture(
                memberID: id, clientID: member.clientID, clientHost: member.clientHost, reason: reason,
                sessionTimeoutMs: member.sessionTimeoutMs, atMs: now
            ))
        }
        members[id] = nil
        joinOrder.removeAll { $0 == id }
        if leader == id { leader = .none }
    }
}
