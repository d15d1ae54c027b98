import Synchronization

/// CPU time charged to each `Stage` of one run, from the threads that did the work.
///
/// A stage is measured on the thread that runs it, with that thread's CPU clock read before
/// and after a stretch of synchronous work (`measure`, or `start` / `add` on a thread that
/// runs nothing else in between, like a dedicated `ThreadExecutor`). Across an `await` on
/// Swift's cooperative pool a task may change threads, so there only synchronous work is
/// measured. Time in no stage (the concurrency runtime, actor hops, group membership,
/// heartbeats, the progress line) is what `StageBreakdown.unattributed` shows against the
/// process's CPU clock.
///
/// Shared by every thread of the run; each addition takes a lock briefly, a few thousand
/// times a second at most (per tick, fetch or transaction, never per event).
public final class StageTimes: Sendable {
    private let nanoseconds = Mutex([UInt64](repeating: 0, count: Stage.allCases.count))
    private let processStart: UInt64

    /// Starts counting; the process's CPU clock is read now, as the breakdown's baseline.
    public init() { processStart = CPUClock.process() }

    /// The calling thread's CPU clock, to pass to `add(_:since:)` later on the same thread.
    public func start() -> UInt64 { CPUClock.thread() }

    /// Charges `stage` with the calling thread's CPU time since `start`.
    public func add(_ stage: Stage, since start: UInt64) {
        add(stage, nanoseconds: CPUClock.thread() &- start)
    }

    public func add(_ stage: Stage, nanoseconds amount: UInt64) {
        nanoseconds.withLock { $0[stage.rawValue] &+= amount }
    }

    /// Runs synchronous `body` and charges `stage` with the CPU time it took on this thread.
    public func measure<Result, Failure>(_ stage: Stage, _ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        let started = CPUClock.thread()
        defer { add(stage, since: started) }
        return try body()
    }

    /// The stages so far, against the process's CPU time since `init`.
    public var breakdown: StageBreakdown {
        let totals = nanoseconds.withLock { $0 }
        return StageBreakdown(
            seconds: Dictionary(uniqueKeysWithValues: Stage.allCases.map { ($0, Double(totals[$0.rawValue]) / 1e9) }),
            processSeconds: Double(CPUClock.process() &- processStart) / 1e9
        )
    }
}

extension Optional where Wrapped == StageTimes {
    /// `measure` when there are stage times to charge, otherwise just `body`.
    public func measure<Result, Failure>(_ stage: Stage, _ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        guard let self else { return try body() }
        return try self.measure(stage, body)
    }
}
