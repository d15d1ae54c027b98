import ServiceLifecycle
import Synchronization

/// What a progress line says, asked for each frame.
protocol ProgressSource: Sendable {
    /// The line in variants, most detailed first, each a list of parts, most important first
    /// (a terminal shows the first that fits its width); nil when there is nothing to show
    /// yet. `final` is the last frame, once the work is done.
    func parts(final: Bool) async -> [[String]]?
}

/// A progress line, as a service: on a terminal a status line redrawn four times a second,
/// otherwise a plain line every two seconds. It is the first service of a run, so it is shut
/// down last and shows the drain to its end.
final class ProgressService: Service, Sendable {
    private let source: any ProgressSource
    private let terminal: Terminal

    init(source: any ProgressSource, terminal: Terminal) {
        self.source = source
        self.terminal = terminal
    }

    func run() async {
        let interval: Duration = terminal.interactive ? .milliseconds(250) : .seconds(2)
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                show(await source.parts(final: false))
            }
        }
        if !Task.isCancelled { show(await source.parts(final: true)) }
        terminal.endStatus()
    }

    private func show(_ variants: [[String]]?) {
        guard let variants, let detailed = variants.first else { return }
        if terminal.interactive {
            terminal.status(variants)
        } else {
            terminal.line(detailed.joined(separator: " | "))
        }
    }
}

/// A run's progress from its `RunState`: while producing, the tick, the events produced and
/// the production rate, then each group's stored count and lag; once production is over (or
/// was stopped, with the tick it stopped at), what is left to store and the storing rate.
final class RunProgress: ProgressSource {
    private let state: RunState
    private let groups: [GroupName]
    private let meter = Mutex(RateMeter())

    init(state: RunState, groups: [GroupName]) {
        self.state = state
        self.groups = groups
    }

    func parts(final: Bool) async -> [[String]]? {
        var snapshot = state.snapshot
        if final, snapshot.phase == .draining { snapshot.phase = .finished }
        return meter.withLock { $0.parts(snapshot, groups: groups) }
    }
}

/// The progress line's text from successive snapshots (rates need the previous one).
struct RateMeter {
    private var lastStored = 0
    private var lastTime: ContinuousClock.Instant?

    /// The line in variants from detailed to compact; nil before production starts.
    mutating func parts(_ snapshot: RunState.Snapshot, groups: [GroupName], now: ContinuousClock.Instant = .now) -> [[String]]? {
        guard let started = snapshot.productionStarted else { return nil }
        let storedTotal = groups.reduce(0) { $0 + (snapshot.storedEvents[$1] ?? 0) }
        var storing: Int?
        if let lastTime, now > lastTime { storing = Int(Double(storedTotal - lastStored) / Stopwatch.seconds(now - lastTime)) }
        lastStored = storedTotal
        lastTime = now
        let detailedGroups = groups.map { "\($0.rawValue) \(snapshot.storedEvents[$0] ?? 0) stored, lag \(snapshot.lag($0))" }
        let compactGroups = groups.isEmpty ? [] : ["lag " + groups.map { "\($0.rawValue) \(snapshot.lag($0))" }.joined(separator: " ")]
        switch snapshot.phase {
        case .starting, .producing:
            let rate = Int(Double(snapshot.produced) / max(0.001, Stopwatch.seconds(now - started)))
            return [
                ["producing: tick \(snapshot.ticks)/\(snapshot.totalTicks)", "\(snapshot.produced) events, \(rate) events/s produced"] + detailedGroups,
                ["tick \(snapshot.ticks)/\(snapshot.totalTicks)", "produced \(snapshot.produced) (\(rate)/s)"] + compactGroups,
                ["tick \(snapshot.ticks)/\(snapshot.totalTicks)", "produced \(snapshot.produced)"] + compactGroups,
            ]
        case .draining, .finished:
            let done = snapshot.phase == .finished
            let end = snapshot.stoppedEarly ? "stopped at tick \(snapshot.ticks)/\(snapshot.totalTicks)" : "all \(snapshot.totalTicks) ticks"
            let rate = !done ? storing.map { ["\($0) events/s stored"] } ?? [] : []
            let compactRate = !done ? storing.map { ["storing \($0)/s"] } ?? [] : []
            return [
                ["\(done ? "done" : "draining"): \(snapshot.produced) events produced (\(end))"] + detailedGroups + rate,
                ["\(done ? "done" : "draining"): \(snapshot.produced) (\(end))"] + compactGroups + compactRate,
                [done ? "done" : "draining"] + compactGroups + compactRate,
            ]
        }
    }
}
