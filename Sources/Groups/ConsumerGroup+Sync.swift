import KafkaWire

extension ConsumerGroup {
    /// A SyncGroup request. The leader sends every member's assignment; followers send none
    /// and wait for it. Returns an immediate answer or nil when parked, plus actions.
    public mutating func sync(
        memberID: MemberID, generation: GenerationID, assignments: [MemberID: [UInt8]], instanceID: String? = nil,
        requestID: RequestID, now: Int64
    ) -> (answer: SyncResponse?, actions: [GroupAction]) {
        guard state != .dead else { return (.failure(.coordinatorNotAvailable), []) }
        guard !fenced(memberID, instance: instanceID) else { return (.failure(.fencedInstanceId), []) }
        guard var member = members[memberID] else { return (.failure(.unknownMemberId), []) }
        guard generation == self.generation else { return (.failure(.illegalGeneration), []) }
        member.sessionDeadline = now + Int64(member.sessionTimeoutMs)
        switch state {
        case .empty, .dead:
            return (.failure(.unknownMemberId), [])
        case .preparingRebalance:
            members[memberID] = member
            return (.failure(.rebalanceInProgress), [])
        case .stable:
            members[memberID] = member
            return (syncAnswer(for: memberID), [])
        case .completingRebalance:
            var actions: [GroupAction] = []
            if let parked = member.pendingSync {
                actions.append(.answerSync(parked, .failure(.unknownMemberId)))
            }
            member.pendingSync = requestID
            members[memberID] = member
            if memberID == leader {
                for id in members.keys { members[id]?.assignment = assignments[id] ?? [] }
                state = .stable
                for id in members.keys.sorted() {
                    guard let parked = members[id]?.pendingSync else { continue }
                    members[id]?.pendingSync = nil
                    actions.append(.answerSync(parked, syncAnswer(for: id)))
                }
            }
            return (nil, actions)
        }
    }

    func syncAnswer(for id: MemberID) -> SyncResponse {
        SyncResponse(error: .noError, protocolType: protocolType, protocolName: protocolName, assignment: members[id]?.assignment ?? [])
    }

    /// A LeaveGroup for some members. Returns a code per member and actions; the rest of the
    /// group rebalances.
    ///
    /// - Parameter instanceIDs: LeaveGroup v3's instance id per member (KIP-345), when given:
    ///   an empty member id with an instance id means whoever holds it (an administrator
    ///   removing a static member); a member id that no longer holds it is FENCED_INSTANCE_ID.
    public mutating func leave(memberIDs: [MemberID], instanceIDs: [String?] = [], now: Int64) -> (results: [ErrorCode], actions: [GroupAction]) {
        var results: [ErrorCode] = []
        var actions: [GroupAction] = []
        var removed = false
        for (index, given) in memberIDs.enumerated() {
            var id = given
            if index < instanceIDs.count, let instance = instanceIDs[index] {
                guard let holder = staticMembers[instance] else {
                    results.append(.unknownMemberId)
                    continue
                }
                guard id.isEmpty || id == holder else {
                    results.append(.fencedInstanceId)
                    continue
                }
                id = holder
            }
            if pendingMembers.removeValue(forKey: id) != nil {
                results.append(.noError)
                continue
            }
            guard let member = members[id] else {
                results.append(.unknownMemberId)
                continue
            }
            if let parked = member.pendingJoin { actions.append(.answerJoin(parked, .failure(.unknownMemberId, memberID: id))) }
            if let parked = member.pendingSync { actions.append(.answerSync(parked, .failure(.unknownMemberId))) }
            removeMember(id, .left, now: now)
            removed = true
            results.append(.noError)
        }
        if removed { actions += rebalanceAfterDeparture(now: now) }
        return (results, actions)
    }

    /// After members left or expired: the others must rejoin (or, with none left, the group
    /// becomes Empty in a new generation).
    mutating func rebalanceAfterDeparture(now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        if state != .preparingRebalance { actions += prepareRebalance(now: now) }
        actions += completeJoinIfReady(now: now, deadlinePassed: members.isEmpty)
        return actions
    }

    /// Advances timers: expires members whose session ran out, ends a join phase at its
    /// deadline, and drops members that never synced within the rebalance timeout.
    public mutating func tick(now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        pendingMembers = pendingMembers.filter { $0.value > now }
        let expired = members.values.filter { $0.pendingJoin == nil && $0.sessionDeadline <= now }.map(\.id)
        if !expired.isEmpty {
            for id in expired {
                if let parked = members[id]?.pendingSync { actions.append(.answerSync(parked, .failure(.unknownMemberId))) }
                removeMember(id, .sessionExpired, now: now)
            }
            actions += rebalanceAfterDeparture(now: now)
        }
        if state == .preparingRebalance && now >= joinDeadline {
            actions += completeJoinIfReady(now: now, deadlinePassed: true)
        }
        if state == .completingRebalance && now >= syncDeadline {
            let laggards = members.values.filter { $0.pendingSync == nil }.map(\.id)
            if !laggards.isEmpty {
                for id in laggards { removeMember(id, .notSynced, now: now) }
                actions += rebalanceAfterDeparture(now: now)
            }
        }
        return actions
    }

    /// The earliest time `tick` could change something, for owners that schedule timers.
    public var nextDeadline: Int64? {
        var deadlines = members.values.filter { $0.pendingJoin == nil }.map(\.sessionDeadline)
        deadlines += pendingMembers.values
        if state == .preparingRebalance { deadlines.append(joinDeadline) }
        if state == .completingRebalance { deadlines.append(syncDeadline) }
        return deadlines.min()
    }
}
