import Dispatch
import RidePipeline
#if canImport(Glibc)
import Glibc
#endif

/// A second Ctrl-C during a run's graceful stop (which stores everything produced, and may
/// take a while on a big run) ends the process at once, as a kill would: every transaction
/// is all or nothing, so `--resume` continues from where it was.
enum SecondInterrupt {
    nonisolated(unsafe) private static var source: (any DispatchSourceSignal)?

    /// Call once before the run; the service group handles the first SIGINT (this only says
    /// what it does).
    static func install(_ terminal: Terminal, resumeHint: String) {
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        var count = 0
        source.setEventHandler {
            count += 1
            guard count >= 2 else {
                return terminal.line("stopping: production ends with this tick and every group stores what was produced (Ctrl-C again to stop at once)")
            }
            terminal.endStatus()
            terminal.line("interrupted again: stopping at once; \(resumeHint)", to: .standardError)
            _exit(130)
        }
        source.resume()
        Self.source = source
    }
}
