import Groups
import KafkaWire
import Testing

@Suite struct ConsumerGroupTests {
    /// Joins one member and completes the rebalance: returns its id and generation.
    static func stableSingleMember(_ driver: inout GroupDriver) -> (MemberID, GenerationID) {
        let joinID = driver.join(GroupDriver.request(client: "a"))
        let joined = driver.joinAnswers[joinID]!
        #expect(joined.error == .noError)
        let syncID = driver.sync(joined.memberID, joined.generation, [joined.memberID: [1]])
        #expect(driver.syncAnswers[syncID]?.assignment == [1])
        return (joined.memberID, joined.generation)
    }

    @Test func firstMemberLeadsGenerationOne() {
        var driver = GroupDriver()
        let (member, generation) = Self.stableSingleMember(&driver)
        #expect(generation == GenerationID(1))
        #expect(driver.group.leader == member)
        #expect(driver.group.state == .stable)
        #expect(driver.group.protocolName == "range")
    }

    @Test func secondMemberTriggersRebalanceAndBothGetAssignments() {
        var driver = GroupDriver()
        let (a, _) = Self.stableSingleMember(&driver)
        let bJoin = driver.join(GroupDriver.request(client: "b"))
        #expect(driver.joinAnswers[bJoin] == nil, "parked until a rejoins")
        #expect(driver.group.state == .preparingRebalance)
        #expect(driver.group.heartbeat(memberID: a, generation: GenerationID(1), now: driver.now) == .rebalanceInProgress)

        let aJoin = driver.join(GroupDriver.request(a, client: "a"))
        let aAnswer = driver.joinAnswers[aJoin]!
        let bAnswer = driver.joinAnswers[bJoin]!
        #expect(aAnswer.generation == GenerationID(2) && bAnswer.generation == GenerationID(2))
        #expect(aAnswer.isLeader, "the previous leader stays leader")
        #expect(aAnswer.members.count == 2)
        #expect(bAnswer.members.isEmpty, "followers get no member list")

        let bSync = driver.sync(bAnswer.memberID, bAnswer.generation)
        #expect(driver.syncAnswers[bSync] == nil, "follower waits for the leader")
        let aSync = driver.sync(a, aAnswer.generation, [a: [0], bAnswer.memberID: [1]])
        #expect(driver.syncAnswers[aSync]?.assignment == [0])
        #expect(driver.syncAnswers[bSync]?.assignment == [1])
        #expect(driver.group.state == .stable)
    }

    @Test func leaveRebalancesTheRest() {
        var driver = GroupDriver()
        let (a, _) = Self.stableSingleMember(&driver)
        let bJoin = driver.join(GroupDriver.request(client: "b"))
        _ = driver.join(GroupDriver.request(a, client: "a"))
        let b = driver.joinAnswers[bJoin]!.memberID
        _ = driver.sync(a, GenerationID(2), [a: [0], b: [1]])
        _ = driver.sync(b, GenerationID(2))

        #expect(driver.leave([a]) == [.noError])
        #expect(driver.group.departures.map(\.reason) == [.left] && driver.group.departures.first?.memberID == a)
        #expect(driver.group.state == .preparingRebalance)
        let rejoin = driver.join(GroupDriver.request(b, client: "b"))
        #expect(driver.joinAnswers[rejoin]?.generation == GenerationID(3))
        #expect(driver.joinAnswers[rejoin]?.isLeader == true, "the remaining member leads")
        #expect(driver.leave([a]) == [.unknownMemberId])
    }

    @Test func lastMemberLeavingEmptiesTheGroup() {
        var driver = GroupDriver()
        let (a, _) = Self.stableSingleMember(&driver)
        #expect(driver.leave([a]) == [.noError])
        #expect(driver.group.state == .empty)
        #expect(driver.group.isEmpty)
        #expect(driver.group.generation == GenerationID(2))
    }

    @Test func sessionTimeoutRemovesASilentMember() {
        var driver = GroupDriver()
        let (a, _) = Self.stableSingleMember(&driver)
        let bJoin = driver.join(GroupDriver.request(client: "b", session: 6_000))
        _ = driver.join(GroupDriver.request(a, client: "a"))
        let b = driver.joinAnswers[bJoin]!.memberID
        _ = driver.sync(a, GenerationID(2), [a: [0], b: [1]])
        _ = driver.sync(b, GenerationID(2))

        // a keeps heartbeating, b goes silent (crashed without leaving).
        for _ in 0 ..< 5 {
            driver.advance(1_000)
            #expect(driver.group.heartbeat(memberID: a, generation: GenerationID(2), now: driver.now) == .noError)
        }
        driver.advance(1_001)
        #expect(!driver.group.isMember(b))
        // The reason is kept for the dashboard's timeline, once: taking them empties the list.
        let departures = driver.group.takeDepartures()
        #expect(departures.map(\.reason) == [.sessionExpired] && departures.first?.memberID == b)
        #expect(departures.first?.clientID == "b" && departures.first?.sessionTimeoutMs == 6_000 && departures.first?.atMs == driver.now)
        #expect(driver.group.departures.isEmpty)
        #expect(driver.group.heartbeat(memberID: a, generation: GenerationID(2), now: driver.now) == .rebalanceInProgress)
        let rejoin = driver.join(GroupDriver.request(a, client: "a"))
        #expect(driver.joinAnswers[rejoin]?.generation == GenerationID(3))
        #expect(driver.joinAnswers[rejoin]?.members.map(\.memberID) == [a])
    }

    @Test func joinPhaseEndsAtTheRebalanceTimeoutDroppingLaggards() {
        var driver = GroupDriver()
        let (a, _) = Self.stableSingleMember(&driver)
        let bJoin = driver.join(GroupDriver.request(client: "b"))
        // a never rejoins; after its rebalance timeout (5 s) the phase completes without it.
        driver.advance(4_999)
        #expect(driver.joinAnswers[bJoin] == nil)
        driver.advance(1)
        #expect(driver.joinAnswers[bJoin]?.error == ErrorCode.noError)
        #expect(driver.joinAnswers[bJoin]?.isLeader == true)
        #expect(!driver.group.isMember(a))
        #expect(driver.group.departures.map(\.reason) == [.notRejoined])
    }

    @Test func memberIDRequiredDance() {
        var driver = GroupDriver()
        var request = GroupDriver.request(client: "kafka-python")
        request.requireKnownMemberID = true
        let first = driver.join(request)
        let answer = driver.joinAnswers[first]!
        #expect(answer.error == .memberIdRequired)
        #expect(answer.memberID.rawValue.hasPrefix("kafka-python-"))
        #expect(driver.group.isEmpty)
        request.memberID = answer.memberID
        let second = driver.join(request)
        #expect(driver.joinAnswers[second]?.error == ErrorCode.noError)
        #expect(driver.joinAnswers[second]?.memberID == answer.memberID)
    }

    @Test func unknownMembersAndStaleGenerationsAreRefused() {
        var driver = GroupDriver()
        let (a, generation) = Self.stableSingleMember(&driver)
        #expect(driver.group.heartbeat(memberID: MemberID("ghost"), generation: generation, now: 0) == .unknownMemberId)
        #expect(driver.group.heartbeat(memberID: a, generation: GenerationID(7), now: 0) == .illegalGeneration)
        let ghostJoin = driver.join(GroupDriver.request(MemberID("ghost")))
        #expect(driver.joinAnswers[ghostJoin]?.error == .unknownMemberId)
        let stale = driver.sync(a, GenerationID(0))
        #expect(driver.syncAnswers[stale]?.error == .illegalGeneration)
    }

    @Test func sessionTimeoutOutsideTheAllowedRangeIsRefused() {
        var driver = GroupDriver()
        let low = driver.join(GroupDriver.request(session: 5_999))
        let high = driver.join(GroupDriver.request(session: 1_800_001))
        #expect(driver.joinAnswers[low]?.error == .invalidSessionTimeout)
        #expect(driver.joinAnswers[high]?.error == .invalidSessionTimeout)
    }

    @Test func protocolIsTheMostPreferredCommonOne() {
        var driver = GroupDriver()
        let a = driver.join(GroupDriver.request(client: "a", protocols: ["sticky", "range"]))
        let b = driver.join(GroupDriver.request(client: "b", protocols: ["range", "roundrobin"]))
        #expect(driver.joinAnswers[b]?.error == ErrorCode.noError || driver.joinAnswers[b] == nil)
        let aID = driver.joinAnswers[a]!.memberID
        let rejoin = driver.join(GroupDriver.request(aID, client: "a", protocols: ["sticky", "range"]))
        #expect(driver.joinAnswers[rejoin]?.protocolName == "range")
        let c = driver.join(GroupDriver.request(client: "c", protocols: ["roundrobin"]))
        #expect(driver.joinAnswers[c]?.error == .inconsistentGroupProtocol)
    }

    @Test func commitRules() {
        var driver = GroupDriver()
        #expect(driver.group.validateCommit(memberID: .none, generation: .none, now: 0) == .noError, "standalone commit on an empty group")
        let (a, generation) = Self.stableSingleMember(&driver)
        #expect(driver.group.validateCommit(memberID: .none, generation: .none, now: 0) == .unknownMemberId)
        #expect(driver.group.validateCommit(memberID: a, generation: generation, now: 0) == .noError)
        #expect(driver.group.validateCommit(memberID: a, generation: GenerationID(0), now: 0) == .illegalGeneration)
        _ = driver.join(GroupDriver.request(client: "b"))
        #expect(driver.group.state == .preparingRebalance)
        #expect(driver.group.validateCommit(memberID: a, generation: generation, now: 0) == .noError, "allowed while preparing")
    }

    @Test func initialDelayHoldsTheFirstRebalance() {
        var driver = GroupDriver(initialDelayMs: 3_000)
        let a = driver.join(GroupDriver.request(client: "a"))
        #expect(driver.joinAnswers[a] == nil)
        let b = driver.join(GroupDriver.request(client: "b"))
        driver.advance(3_000)
        #expect(driver.joinAnswers[a]?.generation == GenerationID(1))
        #expect(driver.joinAnswers[b]?.generation == GenerationID(1))
    }

    @Test func eachNewMemberExtendsTheInitialDelayUpToTheRebalanceTimeout() {
        var driver = GroupDriver(initialDelayMs: 3_000)
        let a = driver.join(GroupDriver.request(client: "a"))
        driver.advance(2_000)
        let b = driver.join(GroupDriver.request(client: "b"))
        driver.advance(2_000)
        // At 4 s: b moved the end to 5 s; c would move it to 7 s, past a's 5 s rebalance timeout.
        let c = driver.join(GroupDriver.request(client: "c"))
        driver.advance(999)
        #expect(driver.joinAnswers[a] == nil && driver.joinAnswers[b] == nil && driver.joinAnswers[c] == nil)
        driver.advance(1)
        #expect([a, b, c].map { driver.joinAnswers[$0]?.generation } == Array(repeating: GenerationID(1), count: 3))
    }

    @Test func aGroupAllMembersLeftWaitsAgainForTheNextOnes() {
        var driver = GroupDriver(initialDelayMs: 3_000)
        let first = driver.join(GroupDriver.request(client: "a"))
        driver.advance(3_000)
        let a = driver.joinAnswers[first]!.memberID
        _ = driver.sync(a, GenerationID(1), [a: [0]])
        #expect(driver.leave([a]) == [.noError])
        #expect(driver.group.state == .empty && driver.group.generation == GenerationID(2))
        // The next run's consumers arrive a little apart: they share one generation.
        let c = driver.join(GroupDriver.request(client: "c"))
        #expect(driver.joinAnswers[c] == nil, "held for the delay, as a new group's first member is")
        driver.advance(1_000)
        let d = driver.join(GroupDriver.request(client: "d"))
        driver.advance(3_000)
        #expect(driver.joinAnswers[c]?.generation == GenerationID(3) && driver.joinAnswers[d]?.generation == GenerationID(3))
        #expect(driver.joinAnswers[c]?.members.count == 2)
    }

    @Test func aNewMemberWhoseFirstJoinIsAbandonedIsRemovedAtOnce() {
        var driver = GroupDriver(initialDelayMs: 3_000)
        let ghost = driver.join(GroupDriver.request(client: "ghost"))
        let b = driver.join(GroupDriver.request(client: "b"))
        driver.record(driver.group.abandonJoin(ghost, now: driver.now))
        #expect(driver.group.memberIDs.count == 1)
        driver.advance(3_000)
        let answer = driver.joinAnswers[b]
        #expect(answer?.generation == GenerationID(1) && answer?.leader == answer?.memberID, "b leads a generation of its own")
        #expect(answer?.members.map(\.memberID) == answer.map { [$0.memberID] })
        #expect(driver.joinAnswers[ghost] == nil)
        #expect(driver.group.departures.map(\.reason) == [.abandoned])
    }

    @Test func aKnownMemberWhoseJoinIsAbandonedStaysForItsClientToRejoin() {
        var driver = GroupDriver(initialDelayMs: 3_000)
        let first = driver.join(GroupDriver.request(client: "a", requireKnownMemberID: true))
        let a = driver.joinAnswers[first]!.memberID
        let join = driver.join(GroupDriver.request(a, client: "a", requireKnownMemberID: true))
        #expect(driver.group.abandonJoin(join, now: driver.now).isEmpty)
        #expect(driver.group.memberIDs == [a])
        // So does a static member: it comes back under its instance id.
        let instance = driver.join(GroupDriver.request(client: "s", instance: "s-1"))
        #expect(driver.group.abandonJoin(instance, now: driver.now).isEmpty)
        #expect(driver.group.memberIDs.count == 2)
    }

    @Test func theOnlyMemberAbandoningItsFirstJoinEmptiesTheGroup() {
        var driver = GroupDriver(initialDelayMs: 3_000)
        let ghost = driver.join(GroupDriver.request(client: "ghost"))
        driver.record(driver.group.abandonJoin(ghost, now: driver.now))
        #expect(driver.group.state == .empty && driver.group.memberIDs.isEmpty)
        let next = driver.join(GroupDriver.request(client: "next"))
        driver.advance(3_000)
        #expect(driver.joinAnswers[next]?.members.count == 1, "the next member waits for the delay and leads alone")
    }
}
