import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT / SIGTERM (Ctrl-C): the producer stops at the end of the current tick, the
/// consumers write what was produced, and the summary says where the run stopped.
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    /// The installed signal sources, kept alive for the life of the process.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    public init() {}

    public var isSet: Bool { flag.load(ordering: .relaxed) }
    public func set() { flag.store(true, ordering: .relaxed) }

    /// Routes SIGINT and SIGTERM here instead of killing the process. Call once, from the
    /// main task, before the run starts.
    public func installHandlers() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.set() }
            source.resume()
            Self.sources.append(source)
        }
    }
}
