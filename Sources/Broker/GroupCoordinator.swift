import Groups
import KafkaWire
import LogStore
import Logging

/// Owns every consumer group's state machine and answers requests that must wait.
///
/// Join and sync requests that the protocol parks are suspended here until the state machine
/// emits the action that answers them. Time comes from the injected clock: `tick()` applies
/// session and rebalance timeouts, and `run()` calls it periodically. Tests on a manual clock
/// call `tick()` themselves.
public actor GroupCoordinator {
    public let configuration: GroupConfiguration
    private let clock: any WallClock
    let offsets: OffsetStore
    private var groups: [String: ConsumerGroup] = [:]
    /// Each group's completed generations, the newest `generationsKept`, once asked to
    /// (`recordGenerations`: a dashboard watches).
    private var generations: [String: [GroupGeneration]] = [:]
    private var recordsGenerations = false
    public static let generationsKept = 100
    private var joinWaiters: [RequestID: CheckedContinuation<JoinResponse, Never>] = [:]
    private var syncWaiters: [RequestID: CheckedContinuation<SyncResponse, Never>] = [:]
    private var nextRequest: UInt64 = 0
    private var timer: Task<Void, Never>?
    private var timerDeadline: Int64?
    /// Deterministic member ids for tests, or nil for random ones.
    private let memberIDGenerator: (@Sendable (String) -> MemberID)?
    private let logger: Logger

    init(
        configuration: GroupConfiguration, clock: any WallClock, offsets: OffsetStore, logger: Logger = Logger(label: "ridestream.groups"),
        memberIDGenerator: (@Sendable (String) -> MemberID)? = nil
    ) {
        self.logger = logger
        self.configuration = configuration
        self.clock = clock
        self.offsets = offsets
        self.memberIDGenerator = memberIDGenerator
    }

    private func group(_ id: String) -> ConsumerGroup {
        if let group = groups[id] { return group }
        if let memberIDGenerator {
            return ConsumerGroup(groupID: id, configuration: configuration, memberIDGenerator: memberIDGenerator)
        }
        return ConsumerGroup(groupID: id, configuration: configuration)
    }

    /// The group's state machine; nil when none is held (a group known by its offsets alone).
    func groupState(_ id: String) -> ConsumerGroup? { groups[id] }

    /// Drops a deleted group's state and kept generations.
    func forget(_ id: String) {
        groups[id] = nil
        generations[id] = nil
        logger.info("deleted group", metadata: ["group": "\(id)"])
    }

    /// Saves a group's new state, logging what a user watching the broker wants to know:
    /// members that joined or were removed, and each new generation with its members.
    private func store(_ state: ConsumerGroup, as id: String) {
        var state = state
        let before = groups[id]
        recordGeneration(&state, as: id)
        groups[id] = state
        let old = Set(before?.memberIDs ?? [])
        let new = Set(state.memberIDs)
        for removed in old.subtracting(new).sorted() {
            logger.info("member removed", metadata: ["group": "\(id)", "member": "\(removed.rawValue)"])
        }
        if state.generation != before?.generation, state.state == .completingRebalance || state.state == .stable {
            logger.info("new generation", metadata: [
                "group": "\(id)", "generation": "\(state.generation.rawValue)", "protocol": "\(state.protocolName)",
                "members": "\(new.sorted().map(\.rawValue).joined(separator: ","))",
            ])
        }
    }

    /// Records the generation `state` has just completed (stable, or empty after its last
    /// member went), with the departures since the one before. Called on every change of a
    /// group, heartbeats included: one comparison when nothing completed.
    private func recordGeneration(_ state: inout ConsumerGroup, as id: String) {
        guard recordsGenerations, state.state == .stable || state.state == .empty, state.generation.rawValue > 0,
              generations[id]?.last?.generation != state.generation
        else { return }
        var history = generations[id] ?? []
        if history.count == Self.generationsKept { history.removeFirst() }
        history.append(GroupGeneration(completed: state, departures: state.takeDepartures(), atMs: clock.milliseconds(), isFirst: generations[id] == nil))
        generations[id] = history
    }

    private func newRequestID() -> RequestID {
        nextRequest += 1
        return RequestID(rawValue: nextRequest)
    }

    private func perform(_ actions: [GroupAction]) {
        defer { armTimer() }
        for action in actions {
            switch action {
            case let .answerJoin(id, response): joinWaiters.removeValue(forKey: id)?.resume(returning: response)
            case let .answerSync(id, response): syncWaiters.removeValue(forKey: id)?.resume(returning: response)
            }
        }
    }

    // MARK: - Group protocol

    /// JoinGroup: returns when the join phase completes (or at once for errors).
    public func join(groupID: String, _ request: JoinRequest) async -> JoinResponse {
        guard !groupID.isEmpty else { return .failure(.invalidGroupId) }
        let requestID = newRequestID()
        var state = group(groupID)
        let (answer, actions) = state.join(request, requestID: requestID, now: clock.milliseconds())
        store(state, as: groupID)
        return await answerOrPark(answer, actions, requestID, in: groupID) { joinWaiters[requestID] = $0 }
    }

    /// Returns an immediate answer, or suspends until an action answers the parked request;
    /// either way the other actions are carried out. A parked request whose task is cancelled
    /// (its connection closed, the server stopping) is answered COORDINATOR_NOT_AVAILABLE at
    /// once; the group itself carries on (`ConsumerGroup.abandonJoin`: a new member whose
    /// client never learned its id goes at once, any other at its deadline if it is gone).
    private func answerOrPark<Response: Sendable>(
        _ answer: Response?, _ actions: [GroupAction], _ requestID: RequestID, in groupID: String,
        park: (CheckedContinuation<Response, Never>) -> Void
    ) async -> Response {
        if let answer {
            perform(actions)
            return answer
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                park(continuation)
                perform(actions)
            }
        } onCancel: {
            Task { await self.abandon(requestID, in: groupID) }
        }
    }

    private func abandon(_ requestID: RequestID, in groupID: String) {
        if let waiter = joinWaiters.removeValue(forKey: requestID) {
            waiter.resume(returning: .failure(.coordinatorNotAvailable))
            if var state = groups[groupID] {
                let actions = state.abandonJoin(requestID, now: clock.milliseconds())
                store(state, as: groupID)
                perform(actions)
            }
        }
        syncWaiters.removeValue(forKey: requestID)?.resume(returning: .failure(.coordinatorNotAvailable))
    }

    /// SyncGroup: the leader passes every member's assignment; followers wait for theirs.
    public func sync(
        groupID: String, memberID: MemberID, generation: GenerationID, assignments: [MemberID: [UInt8]], instanceID: String? = nil
    ) async -> SyncResponse {
        guard var state = groups[groupID] else { return .failure(.unknownMemberId) }
        let requestID = newRequestID()
        let (answer, actions) = state.sync(
            memberID: memberID, generation: generation, assignments: assignments, instanceID: instanceID, requestID: requestID,
            now: clock.milliseconds()
        )
        store(state, as: groupID)
        return await answerOrPark(answer, actions, requestID, in: groupID) { syncWaiters[requestID] = $0 }
    }

    public func heartbeat(groupID: String, memberID: MemberID, generation: GenerationID, instanceID: String? = nil) -> ErrorCode {
        guard var state = groups[groupID] else { return .unknownMemberId }
        let code = state.heartbeat(memberID: memberID, generation: generation, instanceID: instanceID, now: clock.milliseconds())
        store(state, as: groupID)
        armTimer()
        return code
    }

    public func leave(groupID: String, memberIDs: [MemberID], instanceIDs: [String?] = []) -> [ErrorCode] {
        guard var state = groups[groupID] else { return memberIDs.map { _ in .unknownMemberId } }
        let (results, actions) = state.leave(memberIDs: memberIDs, instanceIDs: instanceIDs, now: clock.milliseconds())
        store(state, as: groupID)
        perform(actions)
        return results
    }

    /// Applies timeouts to every group at the clock's current time.
    public func tick() {
        let now = clock.milliseconds()
        for id in groups.keys {
            var state = groups[id]!
            let actions = state.tick(now: now)
            store(state, as: id)
            perform(actions)
        }
        armTimer()
    }

    /// Keeps one timer task armed for the earliest group deadline, so that session timeouts,
    /// join deadlines and the initial rebalance delay take effect without anyone polling.
    /// The wait is real time; the deadline check in `tick()` reads the injected clock.
    private func armTimer() {
        let now = clock.milliseconds()
        guard let deadline = groups.values.compactMap(\.nextDeadline).min() else {
            timer?.cancel()
            timer = nil
            timerDeadline = nil
            return
        }
        if let timerDeadline, timerDeadline <= deadline, timer != nil { return }
        timer?.cancel()
        timerDeadline = deadline
        let delay = max(1, min(deadline - now, 60_000))
        timer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(delay))
            guard !Task.isCancelled else { return }
            await self?.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        tick()
    }

    // MARK: - Offsets

    /// OffsetCommit: validates membership and generation in the group's state machine, then
    /// stores the accepted offsets durably. The write happens outside the actor, on the
    /// offsets log's own thread, so joins, syncs and heartbeats never wait behind a disk write.
    /// Returns a code per partition.
    public nonisolated func commitOffsets(
        groupID: String, memberID: MemberID = .none, generation: GenerationID = .none, instanceID: String? = nil,
        offsets commits: [TopicPartition: CommittedOffset]
    ) async -> [TopicPartition: ErrorCode] {
        let admitted = await admitCommit(groupID: groupID, memberID: memberID, generation: generation, instanceID: instanceID, offsets: commits)
        var results = admitted.refused
        guard let stored = admitted.stored else { return results }
        do throws(BrokerError) {
            try await stored.value
            for partition in admitted.accepted.keys { results[partition] = .noError }
        } catch {
            for partition in admitted.accepted.keys { results[partition] = error.code }
        }
        return results
    }

    /// The commit check, under the actor: which offsets may be stored (stamped with the commit
    /// time) and which are refused, with their codes; the accepted ones are queued for the
    /// offsets log before the actor is left, so commits are stored in the order admitted.
    private func admitCommit(
        groupID: String, memberID: MemberID, generation: GenerationID, instanceID: String?, offsets commits: [TopicPartition: CommittedOffset]
    ) -> (accepted: [TopicPartition: CommittedOffset], refused: [TopicPartition: ErrorCode], stored: ThreadExecutor.Scheduled<Void, BrokerError>?) {
        var state = group(groupID)
        let check = state.validateCommit(memberID: memberID, generation: generation, instanceID: instanceID, now: clock.milliseconds())
        if groups[groupID] != nil || check == .noError { groups[groupID] = state }
        guard check == .noError else { return ([:], commits.mapValues { _ in check }, nil) }
        var refused: [TopicPartition: ErrorCode] = [:]
        var accepted: [TopicPartition: CommittedOffset] = [:]
        let now = clock.milliseconds()
        for (partition, var committed) in commits {
            if committed.metadata.utf8.count > CommittedOffset.maxMetadataBytes {
                refused[partition] = .offsetMetadataTooLarge
                continue
            }
            if committed.commitTimestamp <= 0 { committed.commitTimestamp = now }
            accepted[partition] = committed
        }
        return (accepted, refused, accepted.isEmpty ? nil : offsets.scheduleCommit(group: groupID, offsets: accepted))
    }

    /// OffsetFetch: the committed offsets of a group, for the given partitions or all.
    public func fetchOffsets(groupID: String, partitions: [TopicPartition]? = nil) -> [TopicPartition: CommittedOffset] {
        let all = offsets.committed(group: groupID)
        guard let partitions else { return all }
        return all.filter { partitions.contains($0.key) }
    }

    // MARK: - Inspection

    public func describe(groupID: String) -> GroupDescription? {
        if let state = groups[groupID] { return state.describe() }
        guard offsets.groups().contains(groupID) else { return nil }
        return group(groupID).describe()
    }

    /// From now on, keeps each group's completed generations (`generations(groupID:)`).
    public func recordGenerations() { recordsGenerations = true }

    /// The group's completed generations since recording began, oldest first.
    public func generations(groupID: String) -> [GroupGeneration] { generations[groupID] ?? [] }

    /// Every group known to the coordinator or with committed offsets, with its state.
    public func listGroups() -> [(groupID: String, protocolType: String, state: GroupState)] {
        let ids = Set(groups.keys).union(offsets.groups())
        return ids.sorted().map { id in
            let state = groups[id]
            return (id, state?.protocolType ?? "consumer", state?.state ?? .empty)
        }
    }
}
