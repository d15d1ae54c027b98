@testable import Broker
@testable import Dashboard
import Foundation
@testable import Groups
import KafkaWire
import LogStore
import RidePipeline
import TestSupport
import Testing

/// `broker serve --dashboard`'s snapshots of a real broker used by in-process consumers: the
/// topic's partitions, the group's members and lag, and a timeline whose causes come from
/// the coordinator (a join, a LeaveGroup, a session that expired), with what moved.
@Suite struct BrokerDashboardTests {
    /// A member polling and committing until stopped (leaves the group) or crashed (goes silent).
    final class Member: Sendable {
        let consumer: Consumer
        let task: Task<Void, Never>

        init(_ broker: Broker, client: String, sessionTimeoutMs: Int32) {
            var configuration = ConsumerConfiguration(groupID: "riders", topics: ["t"])
            configuration.clientID = client
            configuration.sessionTimeoutMs = sessionTimeoutMs
            configuration.heartbeatIntervalMs = 20
            configuration.fetchMaxWaitMs = 20
            let consumer = Consumer(broker: broker, configuration: configuration)
            self.consumer = consumer
            task = Task {
                while !Task.isCancelled {
                    guard let batches = try? await consumer.poll() else { return }
                    for batch in batches { try? await consumer.commit([batch.topicPartition: batch.nextOffset]) }
                }
            }
        }

        func crash() { task.cancel() }
        func stop() async {
            task.cancel()
            await task.value
            await consumer.close()
        }
    }

    @Test func theTimelineSaysWhoJoinedLeftAndTimedOutAndWhatMoved() async throws {
        let dir = TemporaryDirectory("broker-dashboard")
        defer { dir.remove() }
        var configuration = BrokerConfiguration(dataDirectory: dir.path)
        configuration.groups.initialRebalanceDelayMs = 0
        configuration.groups.minSessionTimeoutMs = 100
        let broker = try Broker(configuration: configuration)
        try broker.createTopic("t", configuration: TopicConfiguration(partitions: 4))
        let producer = Producer(broker: broker)
        for index in 0 ..< 200 { try await producer.send(ProducerRecord(topic: "t", key: Array("k\(index)".utf8), value: Array("v\(index)".utf8))) }
        try await producer.close()

        await broker.coordinator.recordGenerations()
        var watcher = BrokerWatcher(address: "127.0.0.1:9092", startMs: broker.clock.milliseconds())
        var second = 0.0
        func group() async -> DashboardSnapshot.Group? {
            second += 0.5
            return await watcher.sample(broker, wallSeconds: second).groups.first { $0.name == "riders" }
        }
        func members(_ count: Int) async -> Bool {
            await eventually {
                guard let riders = await group(), riders.state == "Stable", riders.consumers.count == count else { return false }
                return riders.partitions.compactMap(\.owner).count == 4
            }
        }
        let steady = Member(broker, client: "steady", sessionTimeoutMs: 15_000)
        #expect(await members(1))
        let leaving = Member(broker, client: "leaving", sessionTimeoutMs: 15_000)
        #expect(await members(2))
        // Its LeaveGroup goes straight to the coordinator, as the Kafka port's would: under
        // load the in-process consumer's close can miss it (then its session expires, which
        // the timeline would rightly say instead).
        leaving.crash()
        await leaving.task.value
        let member = await broker.coordinator.describe(groupID: "riders")?.members.first { $0.clientID == "leaving" }?.memberID
        #expect(await broker.coordinator.leave(groupID: "riders", memberIDs: [try #require(member)]) == [.noError])
        #expect(await members(1))
        let doomed = Member(broker, client: "doomed", sessionTimeoutMs: 1_000)
        #expect(await members(2))
        doomed.crash()
        #expect(await eventually { await group()?.timeline.last?.cause == "session timeout" })
        #expect(await eventually { await group()?.lag == 0 })

        let riders = try #require(await group())
        #expect(riders.consumers.map(\.id) == ["steady"] && riders.consumers[0].client == "steady on in-process")
        #expect(riders.partitions.map(\.owner) == Array(repeating: "steady", count: 4))
        let causes = riders.timeline.map(\.cause)
        #expect(causes == ["formed", "joined", "left", "joined", "session timeout"], "\(riders.timeline.map(\.story))")
        let stories = riders.timeline.map(\.story)
        #expect(stories[0].hasPrefix("Generation 1 (at ") && stories[0].contains("formed the group: steady got t partitions 0, 1, 2, 3."), "\(stories[0])")
        #expect(stories[2].hasPrefix("leaving left the group."), "\(stories[2])")
        #expect(stories[4].hasPrefix("doomed stopped heartbeating; after 1 s without a heartbeat its session expired."), "\(stories[4])")
        let moved = riders.timeline[4].moves
        #expect(!moved.isEmpty && moved.allSatisfy { $0.from == "doomed" && $0.to == "steady" && $0.topic == "t" }, "\(moved)")
        #expect(riders.timeline[1].moves.allSatisfy { $0.from == "steady" && $0.to == "leaving" })

        let snapshot = await watcher.sample(broker, wallSeconds: second + 0.5)
        #expect(snapshot.run == nil && snapshot.broker?.address == "127.0.0.1:9092" && snapshot.broker?.topics == 1)
        #expect(snapshot.partitions.map(\.topic) == ["t", "t", "t", "t"])
        #expect(snapshot.partitions.reduce(0) { $0 + $1.logEnd } == 200)
        await steady.stop()
        try broker.close()
    }

    // MARK: - The timeline from recorded generations

    static func member(_ id: String, _ client: String, _ partitions: [Int32]) -> GroupGeneration.Member {
        .init(memberID: MemberID(id), clientID: client, clientHost: "/127.0.0.1", partitions: partitions.map { TopicPartition("t", PartitionID($0)) })
    }

    static func departure(_ id: String, _ client: String, _ reason: GroupDeparture.Reason) -> GroupDeparture {
        .init(memberID: MemberID(id), clientID: client, clientHost: "/127.0.0.1", reason: reason, sessionTimeoutMs: 10_000, atMs: 0)
    }

    static func generation(
        _ number: Int32, first: Bool = false, known: Bool = true, _ members: [GroupGeneration.Member], gone: [GroupDeparture] = []
    ) -> GroupGeneration {
        .init(
            generation: GenerationID(number), isFirst: first, assignmentsKnown: known, atMs: Int64(number) * 1000, protocolName: known ? "range" : "roundrobin",
            members: members, departures: gone
        )
    }

    static func timeline(_ generations: [GroupGeneration], current: [MemberDescription] = []) -> [RecordedRebalance] {
        BrokerTimeline.make(generations, startMs: 0, name: BrokerTimeline.names(generations, current: current))
    }

    /// A restarted client comes back under a new member id: its old id was dropped for not
    /// rejoining, which is not a LeaveGroup; two members sharing a client id are told apart.
    @Test func aDroppedMemberIsNotSaidToHaveLeftAndSharedClientIDsAreToldApart() {
        let entries = Self.timeline([
            Self.generation(1, first: true, [Self.member("rdkafka-0000000000aaaaaa", "rdkafka", [0, 1])]),
            Self.generation(2, [Self.member("rdkafka-0000000000bbbbbb", "rdkafka", [0, 1])], gone: [Self.departure("rdkafka-0000000000aaaaaa", "rdkafka", .notRejoined)]),
        ])
        #expect(entries.map(\.cause) == ["formed", "dropped, joined"])
        #expect(entries[1].story.hasPrefix("rdkafka(aaaaaa) did not rejoin before the rebalance's deadline and was dropped; rdkafka(bbbbbb) joined from /127.0.0.1."), "\(entries[1].story)")
        #expect(entries[1].moves.map(\.to) == ["rdkafka(bbbbbb)", "rdkafka(bbbbbb)"] && entries[1].moves.map(\.from) == ["rdkafka(aaaaaa)", "rdkafka(aaaaaa)"])
    }

    /// Once older generations are trimmed away, the first one kept is not "formed"; a group
    /// whose assignments are not the consumer protocol's has no idle members; an empty group says so.
    @Test func aTrimmedHistoryAnOpaqueProtocolAndAnEmptyGroupAreToldAsTheyAre() {
        let trimmed = Self.timeline([Self.generation(7, [Self.member("a", "a", [0]), Self.member("b", "b", [])])])
        #expect(trimmed.map(\.cause) == ["earlier generations not kept"])
        #expect(trimmed[0].story == "Generation 7 (at 7 s) (older generations are not kept): a got t partition 0; 1 member idle (more members than partitions).", "\(trimmed[0].story)")
        let opaque = Self.timeline([Self.generation(1, first: true, known: false, [Self.member("w", "worker", [])])])
        #expect(opaque[0].cause == "formed" && !opaque[0].story.contains("idle"), "\(opaque[0].story)")
        #expect(opaque[0].story.contains("1 member (protocol roundrobin, whose assignments are not Kafka's consumer protocol)"), "\(opaque[0].story)")
        let emptied = Self.timeline([
            Self.generation(1, first: true, [Self.member("a", "a", [0])]), Self.generation(2, [], gone: [Self.departure("a", "a", .left)]),
        ])
        #expect(emptied[1].cause == "left" && emptied[1].story == "a left the group. Generation 2 (at 2 s) has no members: the group is empty.", "\(emptied[1].story)")
    }
}
