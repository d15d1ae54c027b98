import Dispatch
import RidePipeline
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C during `simulate`: the first stops the run gracefully — at once if it has not
/// started producing yet (`PipelineRunner.stop()` is remembered until its services start) —,
/// a second one, during a graceful stop that stores everything produced and may take a while
/// on a big run, ends the process at once as a kill would: every transaction is all or
/// nothing, so `--resume` continues from where it was.
enum SecondInterrupt {
    nonisolated(unsafe) private static var source: (any DispatchSourceSignal)?
    /// SIGTERM: the run's graceful stop, then what follows it (`runEnded`).
    nonisolated(unsafe) private static var terminate: (any DispatchSourceSignal)?
    /// Once the run is over (`waitForStop`): what Ctrl-C does instead.
    private static let afterRun = Mutex<(@Sendable () -> Void)?>(nil)

    /// Call once, before the run starts.
    static func install(_ terminal: Terminal, runner: PipelineRunner, resumeHint: String) {
        signal(SIGINT, SIG_IGN)  // the source below acts on it; the default would kill at once
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        var count = 0
        source.setEventHandler {
            if let stop = afterRun.withLock({ $0 }) { return stop() }
            count += 1
            guard count >= 2 else {
                terminal.line("stopping: production ends with this tick and every group stores what was produced (Ctrl-C again to stop at once)")
                Task { await runner.stop() }
                return
            }
            terminal.endStatus()
            terminal.line("interrupted again: stopping at once; \(resumeHint)", to: .standardError)
            _exit(130)
        }
        source.resume()
        Self.source = source
        // SIGTERM (a service manager's stop) stops the run gracefully too, from the start: the
        // run's service group takes it over only once its services run, and before that the
        // default action would kill the process.
        signal(SIGTERM, SIG_IGN)
        let terminate = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        terminate.setEventHandler {
            if let stop = afterRun.withLock({ $0 }) { return stop() }
            Task { await runner.stop() }
        }
        terminate.resume()
        Self.terminate = terminate
    }

    /// The run is over (`simulate --dashboard`): from now on Ctrl-C and SIGTERM end what
    /// follows, whose end `waitForStop` waits for; once it has, a further Ctrl-C ends the
    /// process at once, as during a graceful stop.
    static func runEnded() -> AsyncStream<Void> {
        let (stops, continuation) = AsyncStream<Void>.makeStream()
        afterRun.withLock { $0 = { continuation.yield() } }
        return stops
    }

    /// Returns at the first Ctrl-C or SIGTERM after `runEnded`.
    static func waitForStop(_ stops: AsyncStream<Void>) async {
        for await _ in stops { break }
        afterRun.withLock { $0 = nil }
    }
}
