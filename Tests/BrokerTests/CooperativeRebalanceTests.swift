import Broker
import Foundation
import Groups
import KafkaWire
import LogStore
import TestSupport
import Testing

/// The in-process consumer under the eager and the cooperative protocol, side by side: what
/// each member revokes when a member joins or leaves, the rounds it records, and every record
/// read exactly once across the rebalance (each member commits what it read as it gives a
/// partition up, as a Kafka application does in its revoke callback).
@Suite struct CooperativeRebalanceTests {
    /// A polling member that records its revocations and the values it read.
    final class Member: @unchecked Sendable {
        private let lock = NSLock()
        private var revokedLists: [[TopicPartition]] = []
        private var seen: [String] = []
        private var task: Task<Void, Never>?
        private(set) var consumer: Consumer!

        init(_ broker: Broker, group: String, assignor: String, alsoOffering fallback: [String] = []) {
            var configuration = ConsumerGroupIntegrationTests.configuration(group, assignor: assignor)
            configuration.assignors += fallback
            let listener = RebalanceListener(onRevoked: { [weak self] partitions in
                guard let self, let consumer = self.consumer else { return }
                self.lock.withLock { self.revokedLists.append(partitions) }
                var positions: [TopicPartition: Offset] = [:]
                for id in partitions { positions[id] = await consumer.position(id) }
                try? await consumer.commit(positions)
            })
            consumer = Consumer(broker: broker, configuration: configuration, listener: listener)
            let consumer = consumer!
            task = Task {
                while !Task.isCancelled {
                    guard let batches = try? await consumer.poll() else { return }
                    for batch in batches {
                        let values = batch.records.map { String(decoding: $0.value ?? [], as: UTF8.self) }
                        self.lock.withLock { self.seen += values }
                    }
                }
            }
        }

        var values: [String] { lock.withLock { seen } }
        /// Every partition revoked so far, one list per revocation.
        var revocations: [[TopicPartition]] { lock.withLock { revokedLists } }

        func stop() async {
            task?.cancel()
            await task?.value
            await consumer.close()
        }
    }

    static func harness() throws -> TestBroker {
        let harness = try ConsumerGroupIntegrationTests.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 6))
        return harness
    }

    /// Two members own three partitions each; a third joins. Eagerly both give up all six;
    /// cooperatively each gives up only the one partition the newcomer takes, in a round of
    /// its own before the newcomer gets it.
    @Test(arguments: [("sticky", 6), ("cooperative-sticky", 2)])
    func aJoiningMemberMovesOnlyItsShare(assignor: String, expectedRevoked: Int) async throws {
        let harness = try Self.harness()
        let a = Member(harness.broker, group: "g", assignor: assignor)
        let b = Member(harness.broker, group: "g", assignor: assignor)
        #expect(await ConsumerGroupIntegrationTests.settledConsumers([a.consumer, b.consumer], partitions: 6))
        try await ConsumerGroupIntegrationTests.produce(harness.broker, count: 300, prefix: "before")
        #expect(await eventually { a.values.count + b.values.count == 300 })
        let before = await a.consumer.generation
        _ = await a.consumer.takeRounds()
        _ = await b.consumer.takeRounds()
        let aOwned = await a.consumer.assignment
        let bOwned = await b.consumer.assignment
        // Only what the newcomer causes counts (a may have revoked when b joined).
        let earlier = (a: a.revocations.count, b: b.revocations.count)

        let c = Member(harness.broker, group: "g", assignor: assignor)
        #expect(await ConsumerGroupIntegrationTests.settledConsumers([a.consumer, b.consumer, c.consumer], partitions: 6))
        for member in [a, b, c] { #expect(await member.consumer.assignment.count == 2) }
        let revoked = a.revocations.dropFirst(earlier.a).joined().count + b.revocations.dropFirst(earlier.b).joined().count
        #expect(revoked == expectedRevoked, "\(a.revocations) \(b.revocations)")
        #expect(c.revocations.isEmpty)
        // The rounds each member records tell the same: what it revoked and was given.
        let rounds = await a.consumer.takeRounds() + b.consumer.takeRounds()
        #expect(rounds.map(\.revoked.count).reduce(0, +) == expectedRevoked)
        let after = await a.consumer.generation
        if assignor == "cooperative-sticky" {
            #expect(after.rawValue >= before.rawValue + 2, "two rounds: one takes away, one gives")
            #expect(Set(await a.consumer.assignment).isSubset(of: Set(aOwned)), "a only gave up")
            #expect(Set(await b.consumer.assignment).isSubset(of: Set(bOwned)), "b only gave up")
            #expect(rounds.allSatisfy { $0.assigned.isEmpty }, "a and b were given nothing new: \(rounds)")
        } else {
            #expect(rounds.allSatisfy { $0.revoked.count == 3 || $0.revoked.isEmpty }, "\(rounds)")
        }

        try await ConsumerGroupIntegrationTests.produce(harness.broker, count: 300, prefix: "after")
        #expect(await eventually { a.values.count + b.values.count + c.values.count >= 600 })
        let all = a.values + b.values + c.values
        #expect(all.count == 600, "no record read twice")
        #expect(Set(all).count == 600, "every record read")
        for member in [a, b, c] { await member.stop() }
    }

    /// A member leaves a cooperative group of three: its partitions, owned by nobody, go to
    /// the others in one round, and the others revoke nothing.
    @Test func aLeavingMembersPartitionsMoveWithoutRevokingTheOthers() async throws {
        let harness = try Self.harness()
        let members = (0 ..< 3).map { _ in Member(harness.broker, group: "g", assignor: "cooperative-sticky") }
        #expect(await ConsumerGroupIntegrationTests.settledConsumers(members.map(\.consumer), partitions: 6))
        try await ConsumerGroupIntegrationTests.produce(harness.broker, count: 300, prefix: "before")
        #expect(await eventually { members.reduce(0) { $0 + $1.values.count } == 300 })
        let owned = [await members[0].consumer.assignment, await members[1].consumer.assignment]
        // What the group's forming revoked (members joined one after another) does not count.
        let earlier = members.map(\.revocations.count)

        await members[2].stop()
        #expect(await ConsumerGroupIntegrationTests.settledConsumers([members[0].consumer, members[1].consumer], partitions: 6))
        #expect(members[0].revocations.count == earlier[0] && members[1].revocations.count == earlier[1])
        #expect(Set(owned[0]).isSubset(of: Set(await members[0].consumer.assignment)))
        #expect(Set(owned[1]).isSubset(of: Set(await members[1].consumer.assignment)))
        try await ConsumerGroupIntegrationTests.produce(harness.broker, count: 300, prefix: "after")
        #expect(await eventually { members.reduce(0) { $0 + $1.values.count } >= 600 })
        let all = members.flatMap(\.values)
        #expect(all.count == 600 && Set(all).count == 600)
        for member in members.prefix(2) { await member.stop() }
    }

    /// A cooperative member the group no longer knows (removed, as when its session ended)
    /// loses everything when its heartbeat hears so, and rejoins owning nothing.
    @Test func aDroppedCooperativeMemberLosesItsPartitions() async throws {
        let harness = try Self.harness()
        let lost = Member(harness.broker, group: "g", assignor: "cooperative-sticky")
        #expect(await ConsumerGroupIntegrationTests.settledConsumers([lost.consumer], partitions: 6))
        let generation = await lost.consumer.generation
        // The group moves on without it: its member id is forgotten.
        _ = await harness.broker.coordinator.leave(groupID: "g", memberIDs: [await lost.consumer.memberID])
        #expect(await eventually { lost.revocations.joined().count == 6 })
        #expect(await ConsumerGroupIntegrationTests.settledConsumers([lost.consumer], partitions: 6))
        #expect(await lost.consumer.generation > generation)
        await lost.stop()
    }

    /// Members offering cooperative-sticky and range (Kafka's rolling-upgrade setting) are
    /// eager, yet their group may choose cooperative-sticky, whose leader holds back what moves:
    /// the eager member that gave it up rejoins, so every partition is consumed.
    @Test func eagerMembersInACooperativeGroupHandPartitionsOver() async throws {
        let harness = try Self.harness()
        let a = Member(harness.broker, group: "g", assignor: "cooperative-sticky", alsoOffering: ["range"])
        #expect(a.consumer.rebalanceProtocol == .eager)
        #expect(await ConsumerGroupIntegrationTests.settledConsumers([a.consumer], partitions: 6))
        let b = Member(harness.broker, group: "g", assignor: "cooperative-sticky", alsoOffering: ["range"])
        #expect(await ConsumerGroupIntegrationTests.settledConsumers([a.consumer, b.consumer], partitions: 6))
        let shares = [await a.consumer.assignment.count, await b.consumer.assignment.count]
        #expect(shares == [3, 3])
        for member in [a, b] { await member.stop() }
    }
}
