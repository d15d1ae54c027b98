import Broker
import Groups
import KafkaWire
import RideModel

/// One consumer of a group: polls its partitions, decodes events, and hands batches of up to
/// `batchSize` events (or whatever `lingerMs` gathered) to the group's `SinkWriter`, which
/// stores rows and offsets in one transaction. On assignment it starts from the offsets in the
/// group's database; on revocation it writes what it has buffered first.
actor PipelineConsumer {
    struct Buffer {
        var firstOffset: Int64
        var nextOffset: Int64
        var events: [PositionedEvent] = []
        var since: ContinuousClock.Instant
    }

    nonisolated let name: String
    nonisolated let group: GroupName
    private let broker: Broker
    private let writer: SinkWriter
    private let configuration: PipelineConfiguration
    private var consumer: Consumer!
    private var buffers: [Int: Buffer] = [:]
    private var task: Task<Void, Never>?
    private var seenRebalances = 0
    private(set) var records = 0
    private(set) var transactions = 0
    private(set) var undecodable = 0
    private(set) var failure: String?
    private(set) var stopped = false
    /// Set by `crash()`: nothing more is written, as after a real crash.
    private var crashed = false

    init(name: String, group: GroupName, broker: Broker, writer: SinkWriter, configuration: PipelineConfiguration) {
        self.name = name
        self.group = group
        self.broker = broker
        self.writer = writer
        self.configuration = configuration
    }

    func start() {
        var settings = ConsumerConfiguration(groupID: group.rawValue, topics: [configuration.topic])
        settings.clientID = name
        settings.sessionTimeoutMs = configuration.sessionTimeoutMs
        settings.rebalanceTimeoutMs = max(configuration.sessionTimeoutMs, 5000)
        settings.heartbeatIntervalMs = configuration.heartbeatIntervalMs
        settings.fetchMaxWaitMs = max(5, min(configuration.lingerMs, 100))
        settings.assignors = [configuration.assignor]
        settings.autoOffsetReset = .earliest
        let topic = configuration.topic
        let writer = writer
        let listener = RebalanceListener(
            onRevoked: { [weak self] partitions in
                await self?.flush(partitions.map { Int($0.partition.rawValue) })
            },
            onAssigned: { partitions in
                let stored = (try? await writer.storedOffsets(partitions.map { Int($0.partition.rawValue) })) ?? [:]
                var positions: [TopicPartition: Offset] = [:]
                for (partition, offset) in stored { positions[TopicPartition(topic, PartitionID(partition))] = Offset(offset) }
                return positions
            }
        )
        consumer = Consumer(broker: broker, configuration: settings, listener: listener)
        task = Task { await self.run() }
    }

    var assignment: [Int] {
        get async { await consumer.assignment.map { Int($0.partition.rawValue) } }
    }

    var generation: GenerationID {
        get async { await consumer.generation }
    }

    private func run() async {
        while !Task.isCancelled {
            do {
                let batches = try await consumer.poll()
                guard !stopped else { return }
                try await noteRebalance()
                for batch in batches { take(batch) }
                try await flushDue(force: false)
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                failure = "\(name): \(error)"
                return
            }
        }
    }

    private func take(_ batch: ConsumerBatch) {
        let partition = Int(batch.topicPartition.partition.rawValue)
        guard !batch.records.isEmpty else { return }
        var buffer = buffers[partition] ?? Buffer(
            firstOffset: batch.records[0].offset.rawValue, nextOffset: batch.records[0].offset.rawValue, since: .now
        )
        for index in batch.records.indices {
            let offset = batch.records[index].offset.rawValue
            guard let value = batch.records.value(at: index), let event = try? LocationEvent.decode(value) else {
                undecodable += 1
                continue
            }
            buffer.events.append(PositionedEvent(partition: partition, offset: offset, event: event))
        }
        buffer.nextOffset = batch.nextOffset.rawValue
        buffers[partition] = buffer
    }

    /// Writes buffers that are full or have waited `lingerMs` (all of them when forced).
    private func flushDue(force: Bool) async throws {
        let linger = Duration.milliseconds(configuration.lingerMs)
        for partition in buffers.keys.sorted() {
            while let buffer = buffers[partition], !buffer.events.isEmpty || buffer.nextOffset > buffer.firstOffset,
                  force || buffer.events.count >= configuration.batchSize || ContinuousClock.now - buffer.since >= linger {
                try await write(partition)
            }
        }
    }

    /// Writes up to `batchSize` buffered events of one partition in one transaction.
    private func write(_ partition: Int) async throws {
        if crashed { buffers = [:] }
        guard var buffer = buffers[partition] else { return }
        let take = min(buffer.events.count, configuration.batchSize)
        let chunk = Array(buffer.events.prefix(take))
        let rest = buffer.events.dropFirst(take)
        let next = rest.first?.offset ?? buffer.nextOffset
        do {
            _ = try await writer.write(consumer: name, partition: partition, firstOffset: buffer.firstOffset, nextOffset: next, events: chunk)
        } catch let stale as StaleBatchError {
            buffers[partition] = nil
            try await resolve(stale)
            return
        }
        if crashed {
            buffers = [:]
            return
        }
        records += chunk.count
        transactions += 1
        await commitToBroker(partition, next)
        if rest.isEmpty {
            buffers[partition] = nil
        } else {
            buffer.events = Array(rest)
            buffer.firstOffset = next
            buffer.since = .now
            buffers[partition] = buffer
        }
    }

    /// The database's stored offset is not where this consumer's buffer starts. Usually another
    /// consumer wrote the partition meanwhile: seek to the stored offset. If retention already
    /// deleted the log below it, the events in between are gone: record the gap (an empty
    /// batch moving the stored offset to the log start) and go on. If it is beyond the log end,
    /// the log lost events the database already has (an OS crash with the page-cache flush
    /// policy): stop with a message rather than guess.
    private func resolve(_ stale: StaleBatchError) async throws {
        let id = TopicPartition(configuration.topic, PartitionID(stale.partition))
        let bounds = try broker.bounds(id)
        if stale.storedOffset > bounds.end.rawValue {
            throw SinkError(
                "\(writer.path): partition \(stale.partition) is stored up to offset \(stale.storedOffset) but the log ends at \(bounds.end); the log lost events the database has (run with --fresh)"
            )
        }
        if stale.storedOffset < bounds.start.rawValue {
            _ = try await writer.write(
                consumer: name, partition: stale.partition, firstOffset: stale.storedOffset, nextOffset: bounds.start.rawValue, events: []
            )
            await consumer.seek(id, to: bounds.start)
            return
        }
        await consumer.seek(id, to: Offset(stale.storedOffset))
    }

    /// Mirrors the database's offsets into the broker's committed offsets, so that lag tools
    /// see the group's progress. The database stays the source of truth.
    private func commitToBroker(_ partition: Int, _ next: Int64) async {
        try? await consumer.commit([TopicPartition(configuration.topic, PartitionID(partition)): Offset(next)])
    }

    private func flush(_ partitions: [Int]) async {
        for partition in partitions {
            do {
                while buffers[partition] != nil { try await write(partition) }
            } catch {
                failure = "\(name): \(error)"
                buffers[partition] = nil
            }
        }
    }

    /// After a rebalance this member led, records the generation in the group's database.
    private func noteRebalance() async throws {
        let count = await consumer.rebalances
        guard count != seenRebalances else { return }
        seenRebalances = count
        guard await consumer.isLeader, let description = await broker.coordinator.describe(groupID: group.rawValue) else { return }
        var assignment: [String: [Int]] = [:]
        for member in description.members {
            let partitions = (try? ConsumerAssignment.decode(member.assignment).partitions) ?? []
            assignment[member.clientID + "(" + member.memberID.rawValue.suffix(6) + ")"] = partitions.map { Int($0.partition.rawValue) }.sorted()
        }
        try await writer.recordRebalance(
            generation: description.generation.rawValue, members: Array(assignment.keys), assignment: assignment
        )
    }

    /// Stops cleanly: finishes buffered writes and leaves the group.
    func stop() async {
        guard !stopped else { return }
        stopped = true
        task?.cancel()
        await task?.value
        try? await flushDue(force: true)
        await consumer.close()
    }

    /// Stops as a crashed process would: no final writes, no leave; the group notices when
    /// the session times out.
    func crash() {
        guard !stopped else { return }
        stopped = true
        crashed = true
        task?.cancel()
        buffers = [:]
    }
}
