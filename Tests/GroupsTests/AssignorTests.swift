import Groups
import KafkaWire
import Testing

@Suite struct AssignorTests {
    static func members(_ count: Int, topics: [String] = ["t"]) -> [MemberID: ConsumerSubscription] {
        Dictionary(uniqueKeysWithValues: (0 ..< count).map { (MemberID("m\($0)"), ConsumerSubscription(topics: topics)) })
    }

    @Test(arguments: ["range", "roundrobin", "sticky", "cooperative-sticky"])
    func completeDisjointAndBalancedForEverySize(name: String) {
        let assignor = Assignors.named(name)!
        for memberCount in 1 ... 8 {
            for partitionCount in 1 ... 12 {
                let subscriptions = Self.members(memberCount)
                let result = assignor.assign(subscriptions: subscriptions, partitionCounts: ["t": partitionCount])
                #expect(Set(result.keys) == Set(subscriptions.keys), "every member appears, idle ones with nothing")
                let all = result.values.flatMap { $0 }
                #expect(all.count == partitionCount, "\(name) \(memberCount)x\(partitionCount): no partition twice")
                #expect(Set(all) == Set((0 ..< partitionCount).map { TopicPartition("t", PartitionID($0)) }))
                let sizes = result.values.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1)
                #expect(result.values.filter(\.isEmpty).count == max(0, memberCount - partitionCount), "extra members idle")
            }
        }
    }

    @Test(arguments: ["range", "roundrobin", "sticky", "cooperative-sticky"])
    func respectsSubscriptionsAcrossTopics(name: String) {
        let assignor = Assignors.named(name)!
        let subscriptions: [MemberID: ConsumerSubscription] = [
            MemberID("a"): ConsumerSubscription(topics: ["x", "y"]),
            MemberID("b"): ConsumerSubscription(topics: ["x"]),
            MemberID("c"): ConsumerSubscription(topics: ["y", "missing"]),
        ]
        let result = assignor.assign(subscriptions: subscriptions, partitionCounts: ["x": 3, "y": 4])
        for (member, partitions) in result {
            #expect(partitions.allSatisfy { subscriptions[member]!.topics.contains($0.topic) })
        }
        #expect(result.values.flatMap { $0 }.count == 7)
        #expect(Set(result.values.flatMap { $0 }).count == 7)
    }

    @Test func rangeGivesContiguousRanges() {
        let result = RangeAssignor().assign(subscriptions: Self.members(3), partitionCounts: ["t": 7])
        #expect(result[MemberID("m0")]!.map(\.partition.rawValue) == [0, 1, 2])
        #expect(result[MemberID("m1")]!.map(\.partition.rawValue) == [3, 4])
        #expect(result[MemberID("m2")]!.map(\.partition.rawValue) == [5, 6])
    }

    @Test func stickyKeepsOwnedPartitionsWhenAMemberJoins() {
        let assignor = StickyAssignor()
        var subscriptions = Self.members(3)
        let first = assignor.assign(subscriptions: subscriptions, partitionCounts: ["t": 12])
        for (member, owned) in first { subscriptions[member]!.ownedPartitions = owned }
        subscriptions[MemberID("m3")] = ConsumerSubscription(topics: ["t"])
        let second = assignor.assign(subscriptions: subscriptions, partitionCounts: ["t": 12])
        var moved = 0
        for (member, owned) in first { moved += owned.filter { !second[member]!.contains($0) }.count }
        #expect(moved == 3, "only the new member's fair share moves")
        #expect(second[MemberID("m3")]!.count == 3)
    }

    /// Runs `assignor` the way a group does: every member claims what the previous round gave
    /// it, in generation `generation`.
    static func round(
        _ assignor: any PartitionAssignor, _ subscriptions: inout [MemberID: ConsumerSubscription], owned: [MemberID: [TopicPartition]],
        generation: Int32, partitions: Int
    ) -> [MemberID: [TopicPartition]] {
        for member in subscriptions.keys {
            subscriptions[member]!.ownedPartitions = owned[member] ?? []
            subscriptions[member]!.generation = generation
        }
        return assignor.assign(subscriptions: subscriptions, partitionCounts: ["t": partitions])
    }

    /// KIP-429's hand-over: when a member joins, round one only takes partitions away from
    /// their owners (nobody gets a partition someone else still owns), round two gives them
    /// to the newcomer; no member loses anything it keeps in the end.
    @Test func cooperativeStickyMovesPartitionsInTwoRounds() {
        let assignor = CooperativeStickyAssignor()
        #expect(assignor.rebalanceProtocol == .cooperative)
        var subscriptions = Self.members(3)
        let first = Self.round(assignor, &subscriptions, owned: [:], generation: 1, partitions: 12)
        #expect(first.values.map(\.count).sorted() == [4, 4, 4], "a new group is balanced in one round")
        subscriptions[MemberID("m3")] = ConsumerSubscription(topics: ["t"])
        let second = Self.round(assignor, &subscriptions, owned: first, generation: 1, partitions: 12)
        #expect(second[MemberID("m3")] == [], "nothing owned elsewhere is handed out in round one")
        var revoked = 0
        for (member, owned) in first {
            #expect(Set(second[member]!).isSubset(of: Set(owned)), "round one only takes away")
            revoked += owned.count - second[member]!.count
        }
        #expect(revoked == 3, "only the newcomer's share is revoked")
        let third = Self.round(assignor, &subscriptions, owned: second, generation: 2, partitions: 12)
        #expect(third[MemberID("m3")]!.count == 3, "round two gives the freed partitions to the newcomer")
        for (member, owned) in second where member != MemberID("m3") { #expect(third[member] == owned, "the others keep everything") }
        #expect(Set(third.values.flatMap { $0 }).count == 12)
    }

    /// A member leaving frees its partitions: nobody owns them, so they are given at once,
    /// and the survivors keep all theirs.
    @Test func cooperativeStickyHandsADepartedMembersPartitionsOutInOneRound() {
        let assignor = CooperativeStickyAssignor()
        var subscriptions = Self.members(3)
        let first = Self.round(assignor, &subscriptions, owned: [:], generation: 1, partitions: 6)
        subscriptions[MemberID("m2")] = nil
        let second = Self.round(assignor, &subscriptions, owned: first, generation: 1, partitions: 6)
        for member in subscriptions.keys { #expect(Set(first[member]!).isSubset(of: Set(second[member]!))) }
        #expect(second.values.map(\.count).sorted() == [3, 3])
    }

    /// A member that missed a generation still claims what it had; the latest generation's
    /// claims win, so a partition is never kept by two members.
    @Test func cooperativeStickyTrustsTheLatestGenerationsClaims() {
        let p0 = TopicPartition("t", PartitionID(0))
        let p1 = TopicPartition("t", PartitionID(1))
        var subscriptions = Self.members(2)
        subscriptions[MemberID("m0")]!.ownedPartitions = [p0, p1]
        subscriptions[MemberID("m0")]!.generation = 3
        subscriptions[MemberID("m1")]!.ownedPartitions = [p0]
        subscriptions[MemberID("m1")]!.generation = 5
        let result = CooperativeStickyAssignor().assign(subscriptions: subscriptions, partitionCounts: ["t": 2])
        #expect(result[MemberID("m1")] == [p0], "the current owner keeps it")
        #expect(result[MemberID("m0")] == [p1], "the stale claim counts for nothing")
    }

    @Test func theProtocolIsCooperativeOnlyWhenEveryAssignorIs() {
        #expect(Assignors.rebalanceProtocol(["cooperative-sticky"]) == .cooperative)
        #expect(Assignors.rebalanceProtocol(["cooperative-sticky", "range"]) == .eager)
        #expect(Assignors.rebalanceProtocol(["sticky"]) == .eager)
        #expect(Assignors.rebalanceProtocol([]) == .eager)
    }
}
