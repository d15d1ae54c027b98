import KafkaWire
import Logging

/// The consumers of one group in this process: starts them, applies scenario steps to them,
/// and reports on them.
actor GroupFleet {
    private struct Member {
        var consumer: PipelineConsumer
        var state: ConsumerState
    }

    nonisolated let group: GroupName
    private let log: any EventLog
    private let writer: SinkWriter
    private let configuration: PipelineConfiguration
    private let logger: Logger
    private let onFailure: @Sendable (String, PipelineError) -> Void
    private var members: [Member] = []
    /// Set by `stopAll`: no consumer may be added or changed from then on.
    private var closing = false
    /// Clean stops under way (`stop(at:crash:)`), awaited by `stopAll`.
    private var stopping: [Task<Void, Never>] = []
    /// What consumer names start with: the group's name, or more where several processes
    /// run consumers of one group (`ridestream consume`), so that names stay unique.
    private let namePrefix: String
    private let aheadOfLog: AheadOfLog
    /// Where consumer events go and rebalances learn about them.
    private let state: RunState

    init(
        group: GroupName, log: any EventLog, writer: SinkWriter, configuration: PipelineConfiguration, namePrefix: String? = nil,
        aheadOfLog: AheadOfLog = .refuse, state: RunState, logger: Logger,
        onFailure: @escaping @Sendable (String, PipelineError) -> Void
    ) {
        self.aheadOfLog = aheadOfLog
        self.state = state
        self.group = group
        self.log = log
        self.writer = writer
        self.configuration = configuration
        self.namePrefix = namePrefix ?? group.rawValue
        self.logger = logger
        self.onFailure = onFailure
    }

    /// Starts one more consumer, named `<prefix>-<n>`.
    @discardableResult
    ///
    /// The member is taken into the fleet before it starts (an actor's state may change at
    /// each await): a concurrent add gets the next name, and the limit counts it.
    func add() async throws(PipelineError) -> String {
        let name = "\(namePrefix)-\(members.count + 1)"
        let (state, group, sessionTimeoutMs) = (state, group, configuration.sessionTimeoutMs)
        let consumer = PipelineConsumer(
            name: name, group: group, log: log, writer: writer, configuration: configuration, aheadOfLog: aheadOfLog, logger: logger,
            onFailure: onFailure, rebalanceContext: { state.rebalanceContext(group, sessionTimeoutMs: sessionTimeoutMs) },
            producedMs: { state.simulatedMs }, stages: state.stages
        )
        members.append(Member(consumer: consumer, state: .running))
        state.noteConsumerEvent(group, consumer: name, kind: .added)
        do {
            try await consumer.start()
        } catch {
            if let index = members.firstIndex(where: { $0.consumer.name == name }) { members[index].state = .stopped }
            throw error
        }
        return name
    }

    /// Applies a scenario step; returns what happened, for the log and the summary.
    func apply(_ action: ScenarioStep.Action) async throws(PipelineError) -> String {
        switch action {
        case .addConsumer:
            return "added \(try await add())"
        case .removeConsumer, .crashConsumer:
            let verb = action == .crashConsumer ? "crash" : "remove"
            guard let index = members.lastIndex(where: { $0.state == .running }) else {
                return "no running \(group.rawValue) consumer to \(verb)"
            }
            // The plan was checked against the configured counts; the dashboard's buttons may
            // have removed consumers since. The group must keep one to store the rest.
            guard running > 1 else {
                return "skipped: no \(verb) of \(members[index].consumer.name), the last running \(group.rawValue) consumer (the dashboard removed the others)"
            }
            return await stop(at: index, crash: action == .crashConsumer)
        }
    }

    /// A control action while the run goes on (the dashboard's buttons): a scenario step on
    /// the named consumer (nil: the last running one). Refused, with the reason, for a
    /// consumer the group does not have or that no longer runs, for the group's last running
    /// consumer (nobody would store the rest) and past the configuration's consumer limit.
    func control(_ action: ScenarioStep.Action, consumer name: String?) async throws(ControlError) -> String {
        guard !closing else { throw .runOver }
        switch action {
        case .addConsumer:
            guard members.count < ConfigLimits.consumers.upperBound else {
                throw .tooManyConsumers(group: group.rawValue, limit: ConfigLimits.consumers.upperBound)
            }
            do { return "added \(try await add())" } catch { throw .failed(error.description) }  // counted before it starts
        case .removeConsumer, .crashConsumer:
            let index: Int
            if let name {
                guard let found = members.firstIndex(where: { $0.consumer.name == name }) else {
                    throw .unknownConsumer(group: group.rawValue, consumer: name, known: members.map(\.consumer.name))
                }
                guard members[found].state == .running else { throw .notRunning(consumer: name, state: members[found].state) }
                index = found
            } else {
                guard let last = members.lastIndex(where: { $0.state == .running }) else { throw .lastRunningConsumer(group: group.rawValue) }
                index = last
            }
            guard running > 1 else { throw .lastRunningConsumer(group: group.rawValue) }
            return await stop(at: index, crash: action == .crashConsumer)
        }
    }

    /// Stops a running member: a crash leaves the group waiting for its session to expire.
    /// Its state changes before the await, so a concurrent action sees it gone.
    private func stop(at index: Int, crash: Bool) async -> String {
        let member = members[index].consumer
        members[index].state = crash ? .crashed : .stopped
        if crash {
            state.noteConsumerEvent(group, consumer: member.name, kind: .crashed)
            await member.crash()
            return "crashed \(member.name) (no leave: the group waits for its session to time out)"
        }
        state.noteConsumerEvent(group, consumer: member.name, kind: .removed)
        // The consumer stores what it holds and leaves beside the run: a producer applying
        // the step goes on producing meanwhile, as a Kafka producer would (the stop waits
        // for the group's writer, which may be seconds behind production).
        stopping.append(Task { await member.stop() })
        return "removed \(member.name) (it stores what it holds and leaves the group cleanly)"
    }

    /// The group's recorded rebalances (its database's history), oldest first.
    func timeline() async -> [RecordedRebalance] { (try? await writer.rebalances()) ?? [] }

    /// Transactions and events the group's writer stored in this run.
    func stored() async -> (transactions: Int, events: Int) { (await writer.transactions, await writer.events) }

    var running: Int { members.filter { $0.state == .running }.count }

    /// Whether the running consumers have joined one generation that covers all partitions
    /// exactly once (members beyond the partition count idle). A group with no running
    /// consumer has nothing to settle.
    func settled(partitionCount: Int) async -> Bool {
        let running = members.filter { $0.state == .running }.map(\.consumer)
        if running.isEmpty { return true }
        var owned: [PartitionID] = []
        for consumer in running {
            guard await consumer.hasRebalanced else { return false }
            owned += await consumer.assignment
        }
        guard owned.sorted() == (0 ..< partitionCount).map(PartitionID.init) else { return false }
        if let snapshot = await log.describeGroup(group.rawValue), !snapshot.stable || snapshot.assignment.count != running.count { return false }
        return true
    }

    /// Waits, for at most `limit`, until `settled`: before producing (so that the first events
    /// do not go to a member of a short-lived early generation), and before the summary
    /// reports who owns what.
    /// Ends early on cancellation.
    func waitUntilSettled(partitionCount: Int, limit: Duration = .seconds(30)) async {
        let start = ContinuousClock.now
        while !(await settled(partitionCount: partitionCount)), ContinuousClock.now - start < limit {
            do { try await Task.sleep(for: .milliseconds(10)) } catch { return }
        }
    }

    /// Each consumer's assignment and state, with what it stored as the writer counted it (the
    /// writer's count includes a commit whose consumer has not yet heard back).
    func summaries() async -> [RunSummary.Consumer] {
        var result: [RunSummary.Consumer] = []
        let counts = await writer.byConsumer
        for member in members {
            let partitions = member.state == .running ? await member.consumer.assignment.sorted().map { Int($0.rawValue) } : []
            let stored = counts[member.consumer.name] ?? (0, 0)
            result.append(RunSummary.Consumer(
                id: member.consumer.name, partitions: partitions, records: stored.events,
                transactions: stored.transactions, idle: member.state == .running && partitions.isEmpty,
                state: member.state, commitFailures: await member.consumer.commitFailures
            ))
        }
        return result
    }

    /// Stops every running consumer cleanly (buffered writes finished, group left).
    func stopAll() async {
        closing = true
        for index in members.indices where members[index].state == .running {
            members[index].state = .stopped
            await members[index].consumer.stop()
        }
        for stop in stopping { await stop.value }
        stopping = []
        await commitStoredOffsets()
    }

    /// Once this process's consumers have left: brings the log's committed offsets of the group
    /// to what its database stored, so that lag tools and `groups reset-offsets` read the
    /// group's progress. A member's own commits are refused while its group rebalances, and a
    /// run may end in a rebalance (or under a load that keeps the group rebalancing); the
    /// database stays the source of truth. The commit is accepted only while the group has no
    /// members: consumers of it in another process (or a crashed one whose session has not
    /// ended) keep committing their own.
    private func commitStoredOffsets() async {
        let topic = configuration.topic
        guard let committed = await log.committedOffsets(group.rawValue, topic: topic),
              let stored = try? await writer.allStoredOffsets() else { return }
        var behind: [PartitionID: Offset] = [:]
        for (partition, offset) in stored where committed[partition] != offset {
            // A database ahead of the log (a run that failed on that) is not mirrored: an offset
            // past the log end is out of range for every reader of the group.
            guard let end = try? await log.bounds(topic, partition: partition).end, offset <= end else { continue }
            behind[partition] = offset
        }
        guard !behind.isEmpty else { return }
        do {
            guard try await log.commitWithoutMembers(group.rawValue, topic: topic, behind) else { return }
            logger.info("committed the stored offsets the members could not", metadata: [
                "group": "\(group.rawValue)", "partitions": "\(behind.keys.map(\.rawValue).sorted())",
            ])
        } catch {
            logger.info("the log's committed offsets stay behind the database", metadata: [
                "group": "\(group.rawValue)", "partitions": "\(behind.keys.map(\.rawValue).sorted())", "reason": "\(error)",
            ])
        }
    }
}

/// Where a consumer is in its life.
public enum ConsumerState: String, Codable, Sendable {
    case running
    /// Left the group cleanly (a scenario step, or the end of the run).
    case stopped
    /// Stopped without leaving (a scenario step): the group waited for its session to expire.
    case crashed
}
