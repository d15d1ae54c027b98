import Broker
import CPUTime
import Groups
import KafkaWire
import Logging
import LogStore

/// The pipeline's log on the built-in broker, in this process.
public final class BuiltInEventLog: EventLog {
    public let broker: Broker
    /// Where producers and consumers made here charge appending and fetching, if anywhere.
    let stages: StageTimes?

    public init(broker: Broker, stages: StageTimes? = nil) {
        self.broker = broker
        self.stages = stages
    }

    /// A data directory's broker opened read-only, to read what a finished run stored (its
    /// caller holds the directory): nothing in it is written, not even a torn tail repaired.
    public static func readOnly(brokerDirectory: String) throws(PipelineError) -> BuiltInEventLog {
        var configuration = BrokerConfiguration(dataDirectory: brokerDirectory)
        configuration.readOnly = true
        var logger = Logger(label: "ridestream.read")
        logger.logLevel = .warning
        do { return BuiltInEventLog(broker: try Broker(configuration: configuration, logger: logger)) } catch { throw .broker(error) }
    }

    public var name: String { "the built-in broker in \(broker.configuration.dataDirectory)" }

    /// Creates the topic with the broker's log settings written into its `topic.json`, so they
    /// stay the topic's (and `topics describe` shows them) whoever opens the directory later.
    public func prepareTopic(_ topic: String, partitions: Int, replicationFactor: Int) async throws(PipelineError) -> Int {
        do {
            if !broker.topicNames().contains(topic) {
                let log = broker.configuration.log
                try broker.createTopic(topic, configuration: TopicConfiguration(
                    partitions: partitions, retentionMilliseconds: log.retentionMilliseconds ?? -1, retentionBytes: log.retentionBytes ?? -1,
                    segmentBytes: log.segmentBytes, segmentMilliseconds: log.segmentMilliseconds
                ))
            }
            // The run maps regions to these partitions: no Kafka client may delete or grow it.
            broker.protect(topic, reason: "a RideStream run in this process produces to it and its groups store it")
            return try broker.partitionCount(topic)
        } catch {
            throw .broker(error)
        }
    }

    public func bounds(_ topic: String, partition: PartitionID) async throws(PipelineError) -> LogBounds {
        do {
            let bounds = try broker.bounds(TopicPartition(topic, partition))
            return LogBounds(start: bounds.start, end: bounds.end)
        } catch {
            throw .broker(error)
        }
    }

    public func makeProducer(_ settings: EventProducerSettings) throws(PipelineError) -> any EventProducer {
        var configuration = ProducerConfiguration()
        configuration.batchBytes = settings.batchBytes
        configuration.lingerMs = settings.lingerMs
        configuration.stages = stages
        return BuiltInProducer(producer: Producer(broker: broker, configuration: configuration), topic: settings.topic)
    }

    public func makeConsumer(_ settings: EventConsumerSettings, listener: EventRebalanceListener) throws(PipelineError) -> any EventConsumer {
        var configuration = ConsumerConfiguration(groupID: settings.group, topics: [settings.topic])
        configuration.clientID = settings.clientID
        configuration.sessionTimeoutMs = settings.sessionTimeoutMs
        configuration.rebalanceTimeoutMs = max(settings.sessionTimeoutMs, 5000)
        configuration.heartbeatIntervalMs = settings.heartbeatIntervalMs
        configuration.fetchMaxWaitMs = settings.fetchMaxWaitMs
        configuration.assignors = [settings.assignor]
        configuration.autoOffsetReset = .earliest
        configuration.stages = stages
        let broker = broker
        let rebalance = RebalanceListener(
            onRevoked: { partitions in await listener.onRevoked(partitions.map(\.partition)) },
            onAssigned: { partitions in
                let starts = await listener.onAssigned(partitions.map(\.partition))
                var positions: [TopicPartition: Offset] = [:]
                for id in partitions {
                    switch starts[id.partition] {
                    case let .offset(offset)?: positions[id] = offset
                    case .logStart?: if let bounds = try? broker.bounds(id) { positions[id] = bounds.start }
                    case nil: break  // the consumer's own reset applies (earliest)
                    }
                }
                return positions
            }
        )
        return BuiltInConsumer(
            consumer: Consumer(broker: broker, configuration: configuration, listener: rebalance), topic: settings.topic, stages: stages
        )
    }

    public func describeGroup(_ group: String) async -> GroupSnapshot? {
        guard let description = await broker.coordinator.describe(groupID: group) else { return nil }
        var assignment: [String: [Int]] = [:]
        for member in description.members {
            let partitions = (try? ConsumerAssignment.decode(member.assignment).partitions) ?? []
            assignment[Self.label(member.memberID, clientID: member.clientID)] = partitions.map { Int($0.partition.rawValue) }.sorted()
        }
        return GroupSnapshot(generation: description.generation.rawValue, assignment: assignment, stable: description.state == .stable)
    }

    /// A member's label, "client(…id)": its client id and the end of its member id. Without
    /// the client id it is read off the member id, which the coordinator makes as
    /// "<client id>-<16 hex digits>".
    public static func label(_ member: MemberID, clientID: String? = nil) -> String {
        let id = member.rawValue
        let client = clientID ?? {
            guard let dash = id.lastIndex(of: "-"), id.distance(from: dash, to: id.endIndex) == 17 else { return id }
            return String(id[..<dash])
        }()
        return client + "(" + id.suffix(6) + ")"
    }

    public func committedOffsets(_ group: String, topic: String) async -> [PartitionID: Offset]? {
        var result: [PartitionID: Offset] = [:]
        for (partition, committed) in await broker.coordinator.fetchOffsets(groupID: group) where partition.topic == topic {
            result[partition.partition] = committed.offset
        }
        return result
    }

    public func commitWithoutMembers(_ group: String, topic: String, _ offsets: [PartitionID: Offset]) async throws(PipelineError) -> Bool {
        var commits: [TopicPartition: CommittedOffset] = [:]
        for (partition, offset) in offsets { commits[TopicPartition(topic, partition)] = CommittedOffset(offset: offset) }
        let results = await broker.coordinator.commitOffsets(groupID: group, offsets: commits)
        if let failed = results.first(where: { $0.value != .noError }) {
            throw .broker(BrokerError(failed.value, "commit for \(failed.key) in group '\(group)' refused: \(failed.value)"))
        }
        return true
    }

    public func forEachStoredRecord(
        _ topic: String, partition: PartitionID, _ body: (Offset, ArraySlice<UInt8>?, ArraySlice<UInt8>?) -> Void
    ) async throws(PipelineError) {
        do {
            let id = TopicPartition(topic, partition)
            let bounds = try broker.bounds(id)
            var next = bounds.start
            while next < bounds.end {
                let records = try RecordSet.decode(try broker.read(id, from: next, maxBytes: 4 << 20).bytes, from: next)
                for record in records { body(record.offset, record.key, record.value) }
                guard records.nextOffset > next else { break }
                next = records.nextOffset
                await Task.yield()
            }
        } catch {
            throw PipelineError(error)
        }
    }

    public func latestRecords(_ topic: String, partition: PartitionID, limit: Int) async throws(PipelineError) -> [StoredRecord]? {
        do {
            let id = TopicPartition(topic, partition)
            let bounds = try broker.readableBounds(id)
            let from = Offset(max(bounds.start.rawValue, bounds.highWatermark.rawValue - Int64(max(0, limit))))
            guard from < bounds.highWatermark else { return [] }
            let records = try RecordSet.decode(try broker.read(id, from: from, maxBytes: 1 << 20).bytes, from: from)
            return records.filter { $0.offset < bounds.highWatermark }.suffix(limit).map { StoredRecord(offset: $0.offset.rawValue, key: $0.key, value: $0.value) }
        } catch {
            throw PipelineError(error)
        }
    }

    public func close() async throws(PipelineError) {
        do { try broker.close() } catch { throw .broker(error) }
    }
}

/// The in-process producer, writing to the partitions the pipeline chose.
final class BuiltInProducer: EventProducer {
    let producer: Producer
    let topic: String

    init(producer: Producer, topic: String) {
        self.producer = producer
        self.topic = topic
    }

    nonisolated(nonsending) func send(
        partition: PartitionID, key: [UInt8], value: [UInt8], headers: [RecordHeader], timestamp: Int64
    ) async throws(PipelineError) {
        do {
            try await producer.send(ProducerRecord(
                topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: timestamp
            ))
        } catch {
            throw .broker(error)
        }
    }

    func close() async throws(PipelineError) {
        do { try await producer.close() } catch { throw .broker(error) }
    }
}

/// The in-process group consumer.
final class BuiltInConsumer: EventConsumer {
    let consumer: Consumer
    let topic: String
    let stages: StageTimes?

    init(consumer: Consumer, topic: String, stages: StageTimes?) {
        self.consumer = consumer
        self.topic = topic
        self.stages = stages
    }

    func poll() async throws(PipelineError) -> [EventBatch] {
        do {
            let batches = try await consumer.poll()
            return stages.measure(.fetch) {
                batches.map { batch in
                    EventBatch(
                        partition: batch.topicPartition.partition, offsets: batch.records.indices.map { batch.records.offset(at: $0) },
                        values: batch.records.indices.map { batch.records.value(at: $0) }, nextOffset: batch.nextOffset
                    )
                }
            }
        } catch {
            throw PipelineError(error)
        }
    }

    func assignment() async -> [PartitionID] { await consumer.assignment.map(\.partition) }
    func rebalances() async -> Int { await consumer.rebalances }
    func takeLedGenerations() async -> [GroupSnapshot] {
        await consumer.takeLedGenerations().map { led in
            var assignment: [String: [Int]] = [:]
            for (member, partitions) in led.assignment {
                assignment[BuiltInEventLog.label(member)] = partitions.filter { $0.topic == topic }.map { Int($0.partition.rawValue) }.sorted()
            }
            return GroupSnapshot(generation: led.generation.rawValue, assignment: assignment, stable: true)
        }
    }

    func takeRounds() async -> [MemberRound] {
        await consumer.takeRounds().map { round in
            func ours(_ partitions: [TopicPartition]) -> [PartitionID] { partitions.filter { $0.topic == topic }.map(\.partition) }
            return MemberRound(generation: round.generation.rawValue, revoked: ours(round.revoked), assigned: ours(round.assigned), owned: ours(round.owned))
        }
    }

    func seek(partition: PartitionID, to offset: Offset) async throws(PipelineError) {
        await consumer.seek(TopicPartition(topic, partition), to: offset)
    }

    func commit(_ offsets: [PartitionID: Offset]) async throws(PipelineError) {
        var positions: [TopicPartition: Offset] = [:]
        for (partition, offset) in offsets { positions[TopicPartition(topic, partition)] = offset }
        do { try await consumer.commit(positions) } catch { throw .broker(error) }
    }

    func close() async { await consumer.close() }

    /// The in-process consumer heartbeats from its poll loop, which the pipeline consumer's
    /// cancelled task no longer runs; a cooperative join in flight is stopped too.
    func abandon() async { await consumer.abandon() }
}
