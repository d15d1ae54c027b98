import Groups
import KafkaWire
import Testing

/// Static membership (KIP-345, `group.instance.id`) in the group state machine: a member that
/// restarts and joins again with its instance id takes its old place, assignment included,
/// with no new generation; the old member id is fenced; a static member gone for good is
/// removed when its session ends, as any other.
@Suite struct StaticMembershipTests {
    /// Two static members a and b, stable in generation 1 (both joined within the initial
    /// delay): a leads and assigns [0] to itself, [1] to b.
    static func stablePair(_ driver: inout GroupDriver) -> (a: MemberID, b: MemberID) {
        let aJoin = driver.join(GroupDriver.request(client: "a", instance: "host-a", requireKnownMemberID: true))
        let bJoin = driver.join(GroupDriver.request(client: "b", instance: "host-b", requireKnownMemberID: true))
        driver.advance(1_000)
        let a = driver.joinAnswers[aJoin], b = driver.joinAnswers[bJoin]
        #expect(a?.error == .noError && b?.error == .noError, "static members skip MEMBER_ID_REQUIRED: \(String(describing: a)) \(String(describing: b))")
        let aID = a?.memberID ?? .none, bID = b?.memberID ?? .none
        _ = driver.sync(bID, GenerationID(1), instance: "host-b")
        _ = driver.sync(aID, GenerationID(1), [aID: [0], bID: [1]], instance: "host-a")
        #expect(driver.group.state == .stable && driver.group.generation == GenerationID(1))
        #expect(driver.group.leader == aID)
        return (aID, bID)
    }

    @Test func aRestartedStaticMemberGetsItsPartitionsBackWithoutARebalance() {
        var driver = GroupDriver(initialDelayMs: 1_000)
        let (a, b) = Self.stablePair(&driver)
        // b restarts: a new process, no member id, the same instance id.
        let back = driver.join(GroupDriver.request(client: "b", instance: "host-b", requireKnownMemberID: true))
        let answer = driver.joinAnswers[back]
        #expect(answer?.error == .noError && answer?.generation == GenerationID(1), "the current generation, at once: \(String(describing: answer))")
        let newB = answer?.memberID ?? .none
        #expect(newB != b && driver.group.memberIDs.contains(newB) && !driver.group.memberIDs.contains(b))
        #expect(driver.group.state == .stable && driver.group.rebalanceCount == 1)
        let synced = driver.sync(newB, GenerationID(1), instance: "host-b")
        #expect(driver.syncAnswers[synced]?.assignment == [1], "its old assignment")
        #expect(driver.group.heartbeat(memberID: a, generation: GenerationID(1), instanceID: "host-a", now: driver.now) == .noError, "a saw nothing")
        // The old process, still alive somewhere, is fenced.
        #expect(driver.group.heartbeat(memberID: b, generation: GenerationID(1), instanceID: "host-b", now: driver.now) == .fencedInstanceId)
        #expect(driver.group.validateCommit(memberID: b, generation: GenerationID(1), instanceID: "host-b", now: driver.now) == .fencedInstanceId)
        let stale = driver.join(GroupDriver.request(b, client: "b", instance: "host-b"))
        #expect(driver.joinAnswers[stale]?.error == .fencedInstanceId)
    }

    @Test func aRestartedStaticLeaderKeepsLeadingWithoutARebalance() {
        var driver = GroupDriver(initialDelayMs: 1_000)
        let (a, b) = Self.stablePair(&driver)
        let back = driver.join(GroupDriver.request(client: "a", instance: "host-a"))
        let answer = driver.joinAnswers[back]
        let newA = answer?.memberID ?? .none
        #expect(answer?.error == .noError && answer?.generation == GenerationID(1) && answer?.memberID == newA, "\(String(describing: answer))")
        #expect(answer?.leader == a && answer?.members.isEmpty == true, "told it follows, so it computes no assignment (Kafka before JoinGroup v9)")
        #expect(driver.group.leader == newA, "it still leads the group")
        // Its SyncGroup in a stable group gets the current assignment; what it sends is not used.
        let synced = driver.sync(newA, GenerationID(1), [newA: [7], b: [8]], instance: "host-a")
        #expect(driver.syncAnswers[synced]?.assignment == [0])
        #expect(driver.group.state == .stable && driver.group.rebalanceCount == 1)
        #expect(driver.group.heartbeat(memberID: a, generation: GenerationID(1), instanceID: "host-a", now: driver.now) == .fencedInstanceId)
    }

    @Test func aStaticMemberThatNeverComesBackLeavesWhenItsSessionEnds() {
        var driver = GroupDriver(initialDelayMs: 1_000)
        let (a, _) = Self.stablePair(&driver)
        for _ in 0 ..< 4 {
            driver.advance(3_000)
            _ = driver.group.heartbeat(memberID: a, generation: driver.group.generation, instanceID: "host-a", now: driver.now)
        }
        #expect(driver.group.state == .preparingRebalance, "b's 10 s session ended: a rebalance")
        // Its instance id is free again: the next join with it is a new member.
        let later = driver.join(GroupDriver.request(client: "b", instance: "host-b"))
        #expect(driver.joinAnswers[later] == nil, "parked in the rebalance, as a new member")
    }

    @Test func aRestartWithOtherMetadataButTheSameProtocolDoesNotRebalance() {
        var driver = GroupDriver(initialDelayMs: 1_000)
        _ = Self.stablePair(&driver)
        // cooperative-sticky's metadata lists what the member owned: it differs after a restart.
        var request = GroupDriver.request(client: "b", instance: "host-b")
        request.protocols = [GroupProtocol(name: "range", metadata: [9, 9, 9])]
        let back = driver.join(request)
        #expect(driver.joinAnswers[back]?.generation == GenerationID(1) && driver.group.state == .stable)
        var other = GroupDriver.request(client: "b", instance: "host-b")
        other.protocols = [GroupProtocol(name: "roundrobin", metadata: [])]
        let changed = driver.join(other)
        #expect(driver.joinAnswers[changed]?.error == .inconsistentGroupProtocol, "a protocol the group does not share")
    }

    /// A static member away while the others rebalance keeps its place (and its share) until
    /// its session ends; the lead goes to one that rejoined.
    @Test func aStaticMemberAwayDuringARebalanceKeepsItsPlace() {
        var driver = GroupDriver(initialDelayMs: 1_000)
        let (a, b) = Self.stablePair(&driver)
        let c = driver.join(GroupDriver.request(client: "c"))  // a dynamic member: a rebalance
        let bAgain = driver.join(GroupDriver.request(b, client: "b", instance: "host-b"))
        driver.advance(5_000)  // the rebalance timeout: a never rejoined
        let answer = driver.joinAnswers[bAgain]
        #expect(answer?.generation == GenerationID(2) && driver.joinAnswers[c]?.generation == GenerationID(2))
        #expect(driver.group.memberIDs.contains(a), "a static member is not dropped at the join deadline")
        #expect(driver.group.leader != a && answer?.isLeader == (driver.group.leader == b))
        let leader = driver.group.leader
        _ = driver.sync(leader, GenerationID(2), [a: [0], b: [1], driver.joinAnswers[c]!.memberID: [2]], instance: leader == b ? "host-b" : nil)
        #expect(driver.group.state == .stable)
        // a, back within its session with its old id, gets the current generation and its share.
        let back = driver.join(GroupDriver.request(a, client: "a", instance: "host-a"))
        #expect(driver.joinAnswers[back]?.generation == GenerationID(2))
        let synced = driver.sync(a, GenerationID(2), instance: "host-a")
        #expect(driver.syncAnswers[synced]?.assignment == [0])
    }

    @Test func leaveGroupByInstanceIDAndRefusals() {
        var driver = GroupDriver(initialDelayMs: 1_000)
        let (a, b) = Self.stablePair(&driver)
        let (results, _) = driver.group.leave(memberIDs: [MemberID(""), a], instanceIDs: ["host-b", "host-b"], now: driver.now)
        #expect(results == [.noError, .unknownMemberId], "by instance alone; then host-b is no one's")
        #expect(!driver.group.memberIDs.contains(b))
        let stale = driver.group.leave(memberIDs: [MemberID("someone-else")], instanceIDs: ["host-a"], now: driver.now).results
        #expect(stale == [.fencedInstanceId])
    }

    @Test func aDynamicMemberCannotTakeUpAnInstanceID() {
        var driver = GroupDriver()
        let (member, _) = ConsumerGroupTests.stableSingleMember(&driver)
        let claimed = driver.join(GroupDriver.request(member, client: "a", instance: "host-a"))
        #expect(driver.joinAnswers[claimed]?.error == .unknownMemberId, "as Kafka answers")
        #expect(driver.group.state == .stable)
    }
}
