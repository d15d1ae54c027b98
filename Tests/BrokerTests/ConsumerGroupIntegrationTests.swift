import Broker
import Groups
import KafkaWire
import LogStore
import TestSupport
import Testing

/// In-process consumers in groups against a real broker. Waits are for events (`eventually`).
/// Heartbeats are frequent and sessions long (15 s) so that a member is not expired by a
/// loaded machine starving its poll loop (an expiry means a rebalance, and records read again
/// from the last commit, which would break the exactly-once counts); the crash test uses 5 s
/// sessions, as it waits for that expiry on purpose.
@Suite struct ConsumerGroupIntegrationTests {
    static func harness() throws -> TestBroker {
        try TestBroker { configuration in
            configuration.groups.minSessionTimeoutMs = 100
        }
    }

    static func configuration(_ group: String, assignor: String = "range", sessionTimeoutMs: Int32 = 15_000) -> ConsumerConfiguration {
        var configuration = ConsumerConfiguration(groupID: group, topics: ["t"])
        configuration.sessionTimeoutMs = sessionTimeoutMs
        configuration.rebalanceTimeoutMs = 20_000
        configuration.heartbeatIntervalMs = 20
        configuration.fetchMaxWaitMs = 20
        configuration.assignors = [assignor]
        return configuration
    }

    /// Runs a consumer's poll loop, collecting every record value, until cancelled.
    final class Member: @unchecked Sendable {
        let consumer: Consumer
        private let box = NSLockBox()
        private var seen: [String] = []
        private var task: Task<Void, Never>?

        init(_ consumer: Consumer) {
            self.consumer = consumer
            task = Task {
                while !Task.isCancelled {
                    guard let batches = try? await consumer.poll() else { return }
                    for batch in batches {
                        let values = batch.records.map { String(decoding: $0.value ?? [], as: UTF8.self) }
                        self.box.run { self.seen += values }
                        try? await consumer.commit([batch.topicPartition: batch.nextOffset])
                    }
                }
            }
        }

        var values: [String] { box.run { seen } }
        /// Stops polling without leaving: the member goes silent, like a crashed process.
        func crash() { task?.cancel() }
        func stop() async {
            task?.cancel()
            await task?.value
            await consumer.close()
        }
    }

    static func produce(_ broker: Broker, count: Int, prefix: String = "e") async throws {
        let producer = Producer(broker: broker)
        for index in 0 ..< count {
            try await producer.send(ProducerRecord(topic: "t", key: bytes("\(prefix)\(index)"), value: bytes("\(prefix)\(index)")))
        }
        try await producer.close()
    }

    /// Waits until every live member has the same generation and together they own all
    /// partitions exactly once. Up to a minute: a group formed while every other test starts
    /// too on a 2-core machine may take several rounds of heartbeats and joins to settle.
    static func settled(_ members: [Member], partitions: Int) async -> Bool {
        await settledConsumers(members.map(\.consumer), partitions: partitions)
    }

    static func settledConsumers(_ consumers: [Consumer], partitions: Int) async -> Bool {
        await eventually(timeoutMs: 60_000) {
            var all: [TopicPartition] = []
            var generations = Set<GenerationID>()
            for consumer in consumers {
                all += await consumer.assignment
                generations.insert(await consumer.generation)
            }
            return generations.count == 1 && all.count == partitions && Set(all).count == partitions
        }
    }

    @Test func threeConsumersOverSixPartitionsShareWithoutOverlap() async throws {
        let harness = try Self.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 6))
        let members = (0 ..< 3).map { _ in Member(Consumer(broker: harness.broker, configuration: Self.configuration("g"))) }
        #expect(await Self.settled(members, partitions: 6))
        for member in members { #expect(await member.consumer.assignment.count == 2) }

        try await Self.produce(harness.broker, count: 600)
        #expect(await eventually { members.reduce(0) { $0 + $1.values.count } >= 600 })
        let all = members.flatMap(\.values)
        #expect(all.count == 600, "no record twice")
        #expect(Set(all).count == 600, "every record once")
        for member in members { await member.stop() }
    }

    /// The leader keeps every generation it led, with each member's partitions as it gave
    /// them, until asked: one that a newer rebalance replaced before anyone looked is not lost.
    @Test func theLeaderKeepsEachGenerationItLed() async throws {
        let harness = try Self.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 4))
        let first = Member(Consumer(broker: harness.broker, configuration: Self.configuration("led")))
        #expect(await Self.settled([first], partitions: 4))
        let second = Member(Consumer(broker: harness.broker, configuration: Self.configuration("led")))
        #expect(await Self.settled([first, second], partitions: 4))
        let led = await first.consumer.takeLedGenerations() + second.consumer.takeLedGenerations()
        let generations = led.sorted { $0.generation < $1.generation }
        #expect(generations.count >= 2, "\(generations)")
        #expect(generations.first?.assignment.count == 1)
        #expect(generations.first?.assignment.values.first?.count == 4)
        let last = try #require(generations.last)
        #expect(last.assignment.count == 2)
        #expect(Set(last.assignment.values.flatMap { $0 }).count == 4)
        #expect(await first.consumer.takeLedGenerations().isEmpty, "taken once")
        await first.stop()
        await second.stop()
    }

    @Test func extraConsumersAreIdle() async throws {
        let harness = try Self.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 2))
        let members = (0 ..< 4).map { _ in Member(Consumer(broker: harness.broker, configuration: Self.configuration("g"))) }
        #expect(await Self.settled(members, partitions: 2))
        #expect(await eventually {
            var idle = 0
            for member in members where await member.consumer.isIdle { idle += 1 }
            return idle == 2
        })
        let description = await harness.broker.coordinator.describe(groupID: "g")
        #expect(description?.members.count == 4)
        #expect(description?.state == .stable)
        for member in members { await member.stop() }
    }

    @Test func everyGroupGetsEveryRecord() async throws {
        let harness = try Self.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 3))
        try await Self.produce(harness.broker, count: 300)
        let fare = [Member(Consumer(broker: harness.broker, configuration: Self.configuration("fare")))]
        let analytics = (0 ..< 2).map { _ in Member(Consumer(broker: harness.broker, configuration: Self.configuration("analytics"))) }
        #expect(await eventually { fare.flatMap(\.values).count >= 300 && analytics.flatMap(\.values).count >= 300 })
        #expect(Set(fare.flatMap(\.values)).count == 300)
        #expect(Set(analytics.flatMap(\.values)).count == 300)
        for member in fare + analytics { await member.stop() }
    }

    @Test func leavingAndCrashedMembersTriggerRebalances() async throws {
        let harness = try Self.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 4))
        let members = (0 ..< 3).map { _ in Member(Consumer(broker: harness.broker, configuration: Self.configuration("g", assignor: "sticky", sessionTimeoutMs: 5000))) }
        #expect(await Self.settled(members, partitions: 4))
        let before = await members[0].consumer.generation

        await members[2].stop()  // clean leave
        #expect(await Self.settled(Array(members[0 ..< 2]), partitions: 4))
        #expect(await members[0].consumer.generation > before)

        let afterLeave = await members[0].consumer.generation
        members[1].crash()  // silent: only the session timeout removes it
        #expect(await eventually { await members[0].consumer.assignment.count == 4 })
        #expect(await members[0].consumer.generation > afterLeave)
        let description = await harness.broker.coordinator.describe(groupID: "g")
        #expect(description?.members.count == 1)
        await members[0].stop()
    }

    @Test func committedOffsetsSurviveARestart() async throws {
        let harness = try Self.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 2))
        try await Self.produce(harness.broker, count: 100, prefix: "a")
        do {
            let member = Member(Consumer(broker: harness.broker, configuration: Self.configuration("g")))
            #expect(await eventually { member.values.count >= 100 })
            #expect(await eventually {
                let committed = await harness.broker.coordinator.fetchOffsets(groupID: "g")
                return committed.values.reduce(0) { $0 + $1.offset.rawValue } == 100
            })
            await member.stop()
        }
        try harness.restart()
        try await Self.produce(harness.broker, count: 50, prefix: "b")
        let member = Member(Consumer(broker: harness.broker, configuration: Self.configuration("g")))
        #expect(await eventually { member.values.count >= 50 })
        try await Task.sleep(for: .milliseconds(50))
        #expect(Set(member.values) == Set((0 ..< 50).map { "b\($0)" }), "resumes after the committed offsets")
        await member.stop()
    }

    @Test func commitMetadataRoundTripsAndLagIsReported() async throws {
        let harness = try Self.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration())
        let id = TopicPartition("t", PartitionID(0))
        let results = await harness.broker.coordinator.commitOffsets(
            groupID: "standalone", offsets: [id: CommittedOffset(offset: Offset(0), metadata: "sqlite batch 17")]
        )
        #expect(results[id] == ErrorCode.noError)
        try harness.restart()
        let fetched = await harness.broker.coordinator.fetchOffsets(groupID: "standalone")
        #expect(fetched[id]?.metadata == "sqlite batch 17")
        try await Self.produce(harness.broker, count: 10)
        let lag = try await harness.broker.lag(groupID: "standalone")
        #expect(lag[id]?.lag == 10)
        let tooLong = await harness.broker.coordinator.commitOffsets(
            groupID: "standalone", offsets: [id: CommittedOffset(offset: Offset(1), metadata: String(repeating: "m", count: 5000))]
        )
        #expect(tooLong[id] == .offsetMetadataTooLarge)
    }

    @Test func rebalanceListenerSeeksToCallerOwnedOffsets() async throws {
        let harness = try Self.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration())
        try await Self.produce(harness.broker, count: 20)
        let id = TopicPartition("t", PartitionID(0))
        let listener = RebalanceListener(onAssigned: { partitions in
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, Offset(15)) })
        })
        let member = Member(Consumer(broker: harness.broker, configuration: Self.configuration("own"), listener: listener))
        #expect(await eventually { member.values.count >= 5 })
        try await Task.sleep(for: .milliseconds(30))
        #expect(member.values.count == 5)
        #expect(await member.consumer.position(id) == Offset(20))
        await member.stop()
    }
}

@Suite struct ConsumerControlTests {
    @Test func pausedPartitionsAreNotFetchedUntilResumed() async throws {
        let harness = try ConsumerGroupIntegrationTests.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration(partitions: 2))
        let producer = Producer(broker: harness.broker)
        for partition in 0 ..< 2 {
            for index in 0 ..< 5 {
                try await producer.send(ProducerRecord(topic: "t", partition: PartitionID(partition), value: bytes("p\(partition)-\(index)")))
            }
        }
        try await producer.close()
        let consumer = Consumer(broker: harness.broker, configuration: ConsumerGroupIntegrationTests.configuration("g"))
        _ = try await consumer.poll()  // joins; may already fetch
        let paused = TopicPartition("t", PartitionID(1))
        await consumer.seek(paused, to: .zero)
        await consumer.seek(TopicPartition("t", PartitionID(0)), to: .zero)
        await consumer.pause([paused])
        var seen: [String] = []
        for _ in 0 ..< 5 {
            for batch in try await consumer.poll() { seen += batch.records.map { String(decoding: $0.value ?? [], as: UTF8.self) } }
        }
        #expect(seen.allSatisfy { $0.hasPrefix("p0-") }, "nothing from the paused partition")
        #expect(Set(seen) == Set((0 ..< 5).map { "p0-\($0)" }))
        await consumer.resume([paused])
        var resumed: [String] = []
        for _ in 0 ..< 5 {
            for batch in try await consumer.poll() { resumed += batch.records.map { String(decoding: $0.value ?? [], as: UTF8.self) } }
        }
        #expect(resumed.filter { $0.hasPrefix("p1-") } == (0 ..< 5).map { "p1-\($0)" }, "the resumed partition, in order")
        await consumer.close()
    }

    @Test func cancellingTheIteratingTaskLeavesTheGroup() async throws {
        let harness = try ConsumerGroupIntegrationTests.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration())
        let consumer = Consumer(broker: harness.broker, configuration: ConsumerGroupIntegrationTests.configuration("g"))
        let task = Task {
            var count = 0
            for try await batch in consumer.batches { count += batch.records.count }
            return count
        }
        #expect(await eventually { await harness.broker.coordinator.describe(groupID: "g")?.members.count == 1 })
        task.cancel()
        _ = try await task.value
        #expect(await harness.broker.coordinator.describe(groupID: "g")?.members.isEmpty == true)
        #expect(await harness.broker.coordinator.describe(groupID: "g")?.state == .empty)
        await #expect(throws: BrokerError.self) { try await consumer.poll() }
    }

    /// A consumer stopped while its first join waits out the group's initial delay was never
    /// told its member id, so it cannot leave: the coordinator removes that member when the
    /// join is abandoned, and the next member leads a generation of its own at the delay's end
    /// instead of following a leader that will never assign.
    static func request(_ client: String) -> JoinRequest {
        JoinRequest(clientID: client, sessionTimeoutMs: 10_000, protocols: [GroupProtocol(name: "range", metadata: [])])
    }

    @Test func aJoinCancelledDuringTheInitialDelayLeavesNoMemberBehind() async throws {
        let clock = ManualClock()
        let harness = try TestBroker(clock: clock) { configuration in
            configuration.groups.minSessionTimeoutMs = 100
            configuration.groups.initialRebalanceDelayMs = 60_000
        }
        let coordinator = harness.broker.coordinator
        let ghost = Task { await coordinator.join(groupID: "g", Self.request("ghost")) }
        #expect(await eventually { await coordinator.describe(groupID: "g")?.members.count == 1 })
        ghost.cancel()
        #expect(await ghost.value.error == .coordinatorNotAvailable)
        #expect(await eventually { await coordinator.describe(groupID: "g")?.members.isEmpty == true })
        let next = Task { await coordinator.join(groupID: "g", Self.request("next")) }
        #expect(await eventually { await coordinator.describe(groupID: "g")?.members.count == 1 })
        clock.advance(by: 60_000)
        await coordinator.tick()
        let answer = await next.value
        #expect(answer.error == .noError && answer.leader == answer.memberID && answer.members.count == 1)
    }

    @Test func deliveryReportsCarryOffsets() async throws {
        let harness = try ConsumerGroupIntegrationTests.harness()
        try harness.broker.createTopic("t", configuration: TopicConfiguration())
        let box = ReportBox()
        let lock = NSLockBox()
        var configuration = ProducerConfiguration()
        configuration.batchBytes = 1024
        configuration.onDelivery = { report in lock.run { box.reports.append(report) } }
        let producer = Producer(broker: harness.broker, configuration: configuration)
        for index in 0 ..< 100 { try await producer.send(ProducerRecord(topic: "t", value: bytes("value-\(index)"))) }
        try await producer.flush()
        let reports = lock.run { box.reports }
        #expect(reports.count > 1)
        var expected = Offset(0)
        for report in reports {
            #expect(report.baseOffset == expected)
            expected = expected + Int64(report.recordCount)
        }
        #expect(expected == Offset(100))
        try await producer.close()
        await #expect(throws: BrokerError.self) { try await producer.send(ProducerRecord(topic: "t", value: bytes("late"))) }
    }
}
