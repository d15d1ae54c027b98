import CPUTime
import Groups
import KafkaWire
import LogStore

/// A group member that reads its assigned partitions, shaped like Kafka's consumer.
///
/// `poll()` does everything a Kafka consumer's poll does: (re)joins the group when needed —
/// the leader runs the assignor —, heartbeats, and long-polls its partitions. Iterate
/// `batches` for an `AsyncSequence` of record batches; cancelling the iterating task leaves
/// the group cleanly. Offsets are committed explicitly (`commit`), or kept elsewhere with a
/// `RebalanceListener` that seeks on assignment.
///
/// A member given no partitions (more members than partitions) stays in the group, idle, and
/// takes over partitions at the next rebalance.
///
/// The assignors named in the configuration decide the rebalance protocol
/// (`Assignors.rebalanceProtocol`). Eager: `poll` revokes everything and rejoins before it
/// fetches again. Cooperative (`cooperative-sticky`): the join runs in the background while
/// `poll` goes on fetching the partitions owned; its answer revokes only what moved away,
/// after which the member rejoins at once for the second round.
public actor Consumer {
    public let configuration: ConsumerConfiguration
    public nonisolated let rebalanceProtocol: RebalanceProtocol
    let broker: Broker
    let listener: RebalanceListener
    var clock: any WallClock { broker.clock }

    public internal(set) var memberID: MemberID = .none
    public internal(set) var generation: GenerationID = .none
    /// The partitions this member owns in the current generation.
    public internal(set) var assignment: [TopicPartition] = []
    /// Whether this member led the last rebalance it took part in.
    public internal(set) var isLeader = false
    /// Rebalances this member has completed.
    public internal(set) var rebalances = 0
    /// The generations this member led and synced, not yet taken (`takeLedGenerations`); at
    /// most `maxLedGenerations`, oldest dropped first.
    var ledGenerations: [LedGeneration] = []
    static let maxLedGenerations = 64
    /// Rebalance rounds completed and not yet taken (`takeRounds`), at most
    /// `maxLedGenerations`, oldest dropped first.
    var completedRounds: [RebalanceRound] = []
    /// Partitions revoked since the last completed round.
    var revokedSinceRound: [TopicPartition] = []
    /// The cooperative protocol's join in flight, and its answer once it has one.
    var joining: Task<Void, Never>?
    var finishedJoin: Result<JoinRound, any Error>?
    /// Changes whenever the assignment or positions are replaced: a fetch started before is stale.
    var assignmentEpoch = 0
    var positions: [TopicPartition: Offset] = [:]
    var paused: Set<TopicPartition> = []
    var needsJoin = true
    var nextHeartbeat: Int64 = 0
    var closed = false
    /// Set by `abandon`: closed without leaving.
    var abandoned = false

    /// A generation as its leader assigned it, the moment its own sync succeeded: exactly that
    /// generation's members, whatever rebalance follows before anyone asks.
    public struct LedGeneration: Sendable, Equatable {
        public var generation: GenerationID
        public var assignment: [MemberID: [TopicPartition]]
    }

    /// The generations led since the last call, oldest first.
    public func takeLedGenerations() -> [LedGeneration] {
        defer { ledGenerations = [] }
        return ledGenerations
    }

    /// The rounds completed since the last call, oldest first.
    public func takeRounds() -> [RebalanceRound] {
        defer { completedRounds = [] }
        return completedRounds
    }

    public init(broker: Broker, configuration: ConsumerConfiguration, listener: RebalanceListener = RebalanceListener()) {
        self.broker = broker
        self.configuration = configuration
        self.listener = listener
        rebalanceProtocol = Assignors.rebalanceProtocol(configuration.assignors)
    }

    public var isIdle: Bool { !needsJoin && assignment.isEmpty }

    /// One round: keep the membership, heartbeat, fetch. Returns the records that arrived
    /// within `fetchMaxWaitMs` (possibly none).
    public func poll() async throws -> [ConsumerBatch] {
        guard !closed else { throw BrokerError(.unknownServerError, "consumer of group '\(configuration.groupID)' is closed") }
        try Task.checkCancellation()
        switch rebalanceProtocol {
        case .eager:
            if needsJoin { try await joinEagerly() }
        case .cooperative:
            try await applyFinishedJoin()
            if needsJoin { startCooperativeJoin() }
        }
        // A join in flight stands for the heartbeat: the group knows the member is there.
        if joining == nil, clock.milliseconds() >= nextHeartbeat {
            let code = await broker.coordinator.heartbeat(groupID: configuration.groupID, memberID: memberID, generation: generation)
            nextHeartbeat = clock.milliseconds() + configuration.heartbeatIntervalMs
            switch (code, rebalanceProtocol) {
            case (.noError, _):
                break
            case (.rebalanceInProgress, .cooperative):
                // Rejoin, keeping (and reading) the partitions meanwhile.
                needsJoin = true
                startCooperativeJoin()
            case (_, .cooperative):
                // Out of the group or its generation: the partitions may be someone else's.
                if code == .unknownMemberId { memberID = .none }
                await loseAssignment()
                return []
            case (.unknownMemberId, .eager):
                memberID = .none
                needsJoin = true
                return []
            case (_, .eager):
                needsJoin = true
                return []
            }
        }
        let fetchable = assignment.filter { !paused.contains($0) && positions[$0] != nil }
        // While a join is in flight no heartbeat is due: wait the whole fetch wait.
        let untilHeartbeat = joining == nil ? nextHeartbeat - clock.milliseconds() : configuration.fetchMaxWaitMs
        let wait = max(1, min(configuration.fetchMaxWaitMs, untilHeartbeat))
        if fetchable.isEmpty {
            try? await Task.sleep(for: .milliseconds(wait))
            return []
        }
        let requests = fetchable.map {
            FetchRequest($0, offset: positions[$0]!, maxBytes: configuration.maxPartitionFetchBytes)
        }
        let fetchedEpoch = assignmentEpoch
        let results = await broker.fetch(
            requests, maxWaitMs: wait, minBytes: 1, maxBytes: configuration.fetchMaxBytes, stages: configuration.stages
        )
        // Eagerly, a rebalance that became due meanwhile revokes everything fetched for.
        guard fetchedEpoch == assignmentEpoch, rebalanceProtocol == .cooperative || !needsJoin, !closed else { return [] }
        let requested = Dictionary(uniqueKeysWithValues: requests.map { ($0.topicPartition, $0.offset) })
        return try configuration.stages.measure(.fetch) { try collect(results, requested: requested) }
    }

    /// Turns fetched bytes into batches, skipping records before the position, and advances
    /// the positions. An out-of-range position is reset by `autoOffsetReset`.
    private func collect(_ results: [FetchResult], requested: [TopicPartition: Offset]) throws -> [ConsumerBatch] {
        var batches: [ConsumerBatch] = []
        for result in results {
            let id = result.topicPartition
            // A seek or pause while the fetch was in flight makes its bytes stale.
            guard let position = positions[id], assignment.contains(id), !paused.contains(id),
                  requested[id] == position else { continue }
            if let error = result.error {
                if error.code == .offsetOutOfRange {
                    positions[id] = try resetPosition(id)
                    continue
                }
                throw error
            }
            guard !result.bytes.isEmpty else { continue }
            let records = try RecordSet.decode(result.bytes, from: position)
            positions[id] = max(position, records.nextOffset)
            if !records.isEmpty {
                batches.append(ConsumerBatch(topicPartition: id, records: records, highWatermark: result.highWatermark, nextOffset: positions[id]!))
            }
        }
        return batches
    }

    func resetPosition(_ id: TopicPartition) throws(BrokerError) -> Offset {
        try broker.listOffset(id, configuration.autoOffsetReset == .earliest ? .earliest : .latest)
    }

    // MARK: - Positions and offsets

    /// The next offset this consumer reads from a partition it owns.
    public func position(_ id: TopicPartition) -> Offset? { positions[id] }

    /// Moves the read position of an owned partition.
    public func seek(_ id: TopicPartition, to offset: Offset) { if assignment.contains(id) { positions[id] = offset } }

    public func pause(_ partitions: [TopicPartition]) { paused.formUnion(partitions) }
    public func resume(_ partitions: [TopicPartition]) { paused.subtract(partitions) }

    /// Commits offsets (the next offset to read, per partition) for this member's generation.
    public func commit(_ offsets: [TopicPartition: Offset], metadata: String = "") async throws(BrokerError) {
        let commits = offsets.mapValues { CommittedOffset(offset: $0, metadata: metadata) }
        let committedIn = generation
        let results = await broker.coordinator.commitOffsets(
            groupID: configuration.groupID, memberID: memberID, generation: committedIn, offsets: commits
        )
        if let failed = results.first(where: { $0.value != .noError }) {
            // Only a refusal of the generation still in force calls for a rejoin (a round
            // may have been applied while the commit was on its way).
            if failed.value == .rebalanceInProgress || failed.value == .illegalGeneration, committedIn == generation { needsJoin = true }
            throw BrokerError(failed.value, "commit for \(failed.key) in group '\(configuration.groupID)' refused: \(failed.value)")
        }
    }

    /// Commits the current position of every owned partition (inside `onRevoked`, of the
    /// partitions being revoked too: their positions go only after the callback).
    public func commitPositions(metadata: String = "") async throws(BrokerError) {
        try await commit(positions, metadata: metadata)
    }

    /// Gives up the partitions and leaves the group. Later polls fail.
    public func close() async {
        guard !closed else { return }
        closed = true
        joining?.cancel()
        if !assignment.isEmpty { await listener.onRevoked(assignment) }
        assignment = []
        if !memberID.isEmpty {
            _ = await broker.coordinator.leave(groupID: configuration.groupID, memberIDs: [memberID])
        }
    }

    /// Stops as a crashed process would: no leave, no more joins or heartbeats; the group
    /// notices when the session ends. Later polls fail.
    public func abandon() {
        closed = true
        abandoned = true
        joining?.cancel()
    }

    /// Record batches as they arrive, until the consumer is closed or the task cancelled.
    public nonisolated var batches: ConsumerBatches { ConsumerBatches(consumer: self) }
}

/// The `AsyncSequence` of a consumer's record batches. Ends (after leaving the group) when the
/// iterating task is cancelled.
public struct ConsumerBatches: AsyncSequence, Sendable {
    public typealias Element = ConsumerBatch
    let consumer: Consumer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: Consumer
        var buffered: [ConsumerBatch] = []

        public mutating func next() async throws -> ConsumerBatch? {
            while buffered.isEmpty {
                if Task.isCancelled {
                    await consumer.close()
                    return nil
                }
                do {
                    buffered = try await consumer.poll()
                } catch is CancellationError {
                    await consumer.close()
                    return nil
                }
            }
            return buffered.removeFirst()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
}
