import Foundation
import NIOCore
import RidePipeline
import Synchronization

/// The live dashboard's state, shared by its HTTP routes: the run it watches, the latest
/// snapshot (encoded once, whoever reads it), and the clients of the live stream.
///
/// A sampler task builds a snapshot every `interval` (`RunWatcher`) while a run is watched,
/// and once more when it has finished; each is sent to every stream client, at most one
/// pending per client (a slow client skips snapshots instead of piling them up). With no new
/// snapshot, clients get a keep-alive comment every `keepAlive`, which also finds the
/// clients that went away. At most `maxStreams` streams are open at once.
public final class Dashboard: Sendable {
    public static let maxStreams = 32

    /// What a finished run leaves to read: its summary and state, and a reader of its log
    /// for the tail (nil: no tail).
    public struct Finished: Sendable {
        public var summary: RunSummary
        public var state: RunState
        public var log: (any EventLog)?

        public init(summary: RunSummary, state: RunState, log: (any EventLog)?) {
            self.summary = summary
            self.state = state
            self.log = log
        }
    }

    private struct Shared {
        var run: LiveRun?
        var finished: Finished?
        var latest: DashboardSnapshot?
        var latestJSON: ByteBuffer?
        var streams: [UInt64: AsyncStream<ByteBuffer>.Continuation] = [:]
        var nextStream: UInt64 = 0
        var closed = false
    }

    private let shared = Mutex(Shared())
    private let sampler = Mutex<Task<Void, Never>?>(nil)
    let interval: Duration
    let keepAlive: Duration

    public init(interval: Duration = .milliseconds(500), keepAlive: Duration = .seconds(10)) {
        self.interval = interval
        self.keepAlive = keepAlive
    }

    /// Starts watching `run` (the sampler starts with the first run).
    public func watch(_ run: LiveRun) {
        shared.withLock { $0.run = run }
        sampler.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in await sample() }
        }
    }

    /// The watched run has finished: its final snapshot follows, and the page stays on it.
    public func finish(_ finished: Finished) {
        shared.withLock { $0.finished = finished }
    }

    /// Ends every stream and the sampler; the routes answer from the last snapshot.
    public func close() async {
        let (streams, task) = (shared.withLock { shared in
            shared.closed = true
            defer { shared.streams = [:] }
            return shared.streams
        }, sampler.withLock { $0 })
        for stream in streams.values { stream.finish() }
        task?.cancel()
        await task?.value
        if let log = shared.withLock({ $0.finished?.log }) { try? await log.close() }
    }

    public var latest: DashboardSnapshot? { shared.withLock { $0.latest } }
    var latestJSON: ByteBuffer? { shared.withLock { $0.latestJSON } }
    var run: LiveRun? { shared.withLock { $0.finished == nil ? $0.run : nil } }
    var finishedLog: (any EventLog)? { shared.withLock { $0.finished?.log } }

    /// A new stream client: the latest snapshot at once, then each new one; nil when
    /// `maxStreams` are open or the dashboard is closed.
    public func stream() -> AsyncStream<ByteBuffer>? {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id: UInt64? = shared.withLock { shared in
            guard !shared.closed, shared.streams.count < Self.maxStreams else { return nil }
            shared.nextStream += 1
            shared.streams[shared.nextStream] = continuation
            if let json = shared.latestJSON { continuation.yield(Self.event(json)) }
            return shared.nextStream
        }
        guard let id else { return nil }
        continuation.onTermination = { [weak self] _ in self?.shared.withLock { _ = $0.streams.removeValue(forKey: id) } }
        return stream
    }

    private func sample() async {
        var watcher = RunWatcher()
        let clock = ContinuousClock()
        let start = clock.now
        var lastSent = start
        var finishedSent = false
        while !Task.isCancelled {
            let (run, finished) = shared.withLock { ($0.run, $0.finished) }
            let wall = Double((clock.now - start).components.seconds) + Double((clock.now - start).components.attoseconds) / 1e18
            var snapshot: DashboardSnapshot?
            if let finished {
                if !finishedSent {
                    snapshot = watcher.finish(finished.summary, state: finished.state, wallSeconds: wall)
                    finishedSent = true
                }
            } else if let run {
                snapshot = await watcher.sample(run, wallSeconds: wall)
            }
            if let snapshot {
                publish(snapshot)
                lastSent = clock.now
            } else if clock.now - lastSent >= keepAlive {
                send(ByteBuffer(string: ": keep-alive\n\n"))
                lastSent = clock.now
            }
            try? await Task.sleep(for: interval)
        }
    }

    private func publish(_ snapshot: DashboardSnapshot) {
        let json = ByteBuffer(bytes: (try? Self.encoder().encode(snapshot)) ?? Data("{}".utf8))
        shared.withLock {
            $0.latest = snapshot
            $0.latestJSON = json
        }
        send(Self.event(json))
    }

    private func send(_ buffer: ByteBuffer) {
        let streams = shared.withLock { Array($0.streams.values) }
        for stream in streams { stream.yield(buffer) }
    }

    /// A Server-Sent Events `snapshot` event carrying `json` (one line: JSON has no raw newline).
    static func event(_ json: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBuffer(string: "event: snapshot\ndata: ")
        var json = json
        buffer.writeBuffer(&json)
        buffer.writeString("\n\n")
        return buffer
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }
}
