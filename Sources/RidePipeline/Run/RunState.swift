import CPUTime
import KafkaWire
import Synchronization

/// A run's live state, shared by its services: the producer writes where production is, each
/// group's service what its group has stored, and the progress line, the summary (and any
/// other observer) read one consistent snapshot. Updates are synchronous and cheap (a writer
/// thread reports every commit); waiting for the end of production suspends.
public final class RunState: Sendable {
    public enum Phase: String, Sendable {
        /// Consumers joining their groups; nothing produced yet.
        case starting
        case producing
        /// Production is over (finished or stopped); the groups are storing the rest.
        case draining
        case finished
    }

    public struct Snapshot: Sendable {
        public var phase: Phase = .starting
        public var ticks = 0
        public var totalTicks: Int
        /// Events produced by this run (not counting those a resumed run found in the log).
        public var produced = 0
        /// Events already in the log when a `--resume` run started.
        public var resumedFrom = 0
        public var stoppedEarly = false
        /// Each partition's log end once production is over.
        public var logEnds: [PartitionID: Offset]?
        /// Per group: each partition's stored next offset.
        public var stored: [GroupName: [PartitionID: Offset]] = [:]
        /// Per group: events stored by this run.
        public var storedEvents: [GroupName: Int] = [:]
        /// Per group: each partition's simulated time of the last event stored by this run.
        public var storedThroughMs: [GroupName: [PartitionID: Int64]] = [:]
        /// What the scenario did, in order.
        public var scenario: [String] = []
        /// What the run did to its consumers (scenario steps, control actions), oldest first.
        public var consumerEvents: [ConsumerEvent] = []
        /// Simulated time of the run's first tick, milliseconds since the epoch.
        public var simulationStartMs: Int64 = 0
        /// Simulated time production has reached (the end of the last tick produced); nil
        /// before the first.
        public var simulatedMs: Int64?
        public var productionStarted: ContinuousClock.Instant?
        public var productionEnded: ContinuousClock.Instant?

        /// Events in the log, all partitions (what every group must store).
        public var eventsInLog: Int { resumedFrom + produced }

        /// How many events a group still has to store: the log's ends (or what was produced
        /// so far) minus its stored offsets.
        public func lag(_ group: GroupName) -> Int {
            let stored = self.stored[group] ?? [:]
            if let logEnds {
                return logEnds.reduce(0) { $0 + max(0, Int($1.value.rawValue - (stored[$1.key]?.rawValue ?? 0))) }
            }
            return max(0, eventsInLog - stored.values.reduce(0) { $0 + Int($1.rawValue) })
        }
    }

    private let state: Mutex<Snapshot>
    /// The CPU time of the run's stages (`StageTimes`), shared by its producer, broker,
    /// consumers and writers.
    public let stages: StageTimes
    private let endWaiters = Mutex<[UInt64: CheckedContinuation<[PartitionID: Offset]?, Never>]>([:])
    private let nextWaiter = Atomic<UInt64>(0)

    /// - Parameter stages: where the run's parts charge their CPU time.
    public init(totalTicks: Int, simulationStartMs: Int64 = 0, stages: StageTimes = StageTimes()) {
        self.stages = stages
        var snapshot = Snapshot(totalTicks: totalTicks)
        snapshot.simulationStartMs = simulationStartMs
        state = Mutex(snapshot)
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    /// Simulated time production has reached (nil before the first tick).
    var simulatedMs: Int64? { state.withLock { $0.simulatedMs } }

    func update(_ change: (inout Snapshot) -> Void) { state.withLock { change(&$0) } }

    /// A group's stored offset moved (called from its writer's thread).
    func noteStored(_ group: GroupName, partition: PartitionID, next: Offset, events: Int, lastEventMs: Int64? = nil) {
        state.withLock { snapshot in
            snapshot.stored[group, default: [:]][partition] = next
            snapshot.storedEvents[group, default: 0] += events
            if let lastEventMs { snapshot.storedThroughMs[group, default: [:]][partition] = lastEventMs }
        }
    }

    /// A consumer was added, removed or crashed, now in simulated time.
    func noteConsumerEvent(_ group: GroupName, consumer: String, kind: ConsumerEvent.Kind) {
        state.withLock { snapshot in
            let now = snapshot.simulatedMs ?? snapshot.simulationStartMs
            snapshot.consumerEvents.append(ConsumerEvent(group: group, consumer: consumer, kind: kind, simulatedMs: now))
        }
    }

    /// What a rebalance of `group` recorded now is told about the run.
    func rebalanceContext(_ group: GroupName, sessionTimeoutMs: Int32) -> RebalanceContext {
        state.withLock { snapshot in
            RebalanceContext(
                simulatedMs: snapshot.simulatedMs, startMs: snapshot.simulationStartMs,
                events: snapshot.consumerEvents.filter { $0.group == group }, sessionTimeoutMs: sessionTimeoutMs
            )
        }
    }

    /// Production is over: records the log ends and wakes whoever waits for them.
    func endProduction(logEnds: [PartitionID: Offset], stoppedEarly: Bool) {
        state.withLock { snapshot in
            snapshot.logEnds = logEnds
            snapshot.stoppedEarly = stoppedEarly
            snapshot.phase = .draining
            snapshot.productionEnded = .now
        }
        let waiting = endWaiters.withLock { waiters in
            defer { waiters = [:] }
            return waiters
        }
        for waiter in waiting.values { waiter.resume(returning: logEnds) }
    }

    /// The log ends once production is over (at once when it is); nil when the waiting task
    /// is cancelled first (production failed and the run is being cancelled).
    func logEndsAfterProduction() async -> [PartitionID: Offset]? {
        let id = nextWaiter.add(1, ordering: .relaxed).newValue
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[PartitionID: Offset]?, Never>) in
                let ready: [PartitionID: Offset]?? = endWaiters.withLock { waiters in
                    if let ends = state.withLock({ $0.logEnds }) { return .some(ends) }
                    if Task.isCancelled { return .some(nil) }
                    waiters[id] = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            endWaiters.withLock { $0.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }
}
