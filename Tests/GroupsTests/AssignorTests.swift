import Groups
import KafkaWire
import Testing

@Suite struct AssignorTests {
    static func members(_ count: Int, topics: [String] = ["t"]) -> [MemberID: ConsumerSubscription] {
        Dictionary(uniqueKeysWithValues: (0 ..< count).map { (MemberID("m\($0)"), ConsumerSubscription(topics: topics)) })
    }

    @Test(arguments: ["range", "roundrobin", "sticky"])
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

    @Test(arguments: ["range", "roundrobin", "sticky"])
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
}
