import Broker
import Foundation
import KafkaWire
import LogStore
import NIOCore
import RidePipeline
import Synchronization

/// The live dashboard's state, shared by its HTTP routes: what it shows (a live run, a
/// finished one, a broker), the latest snapshot (encoded once, whoever reads it), and the
/// clients of the live stream.
///
/// A sampler task builds a snapshot every `interval` (`RunWatcher` for a run, `BrokerWatcher`
/// for a broker) while something live is watched, and once more when a run has finished; a
/// stored run's snapshot (`show`) is published once. Each is sent to every stream client, at
/// most one pending per client (a slow client skips snapshots instead of piling them up).
/// With no new snapshot, clients get a keep-alive comment every `keepAlive`, which also finds
/// the clients that went away. At most `maxStreams` streams are open at once.
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

    /// A broker to watch, and the address its Kafka port listens on.
    struct WatchedBroker: Sendable {
        var broker: Broker
        var address: String
        var startMs: Int64
    }

    private struct Shared {
        var run: LiveRun?
        var finished: Finished?
        var broker: WatchedBroker?
        /// A stored run's log, for the tail (`show`).
        var storedLog: (any EventLog)?
        var latest: DashboardSnapshot?
        var latestJSON: ByteBuffer?
        var streams: [UInt64: AsyncStream<ByteBuffer>.Continuation] = [:]
        var nextStream: UInt64 = 0
        var closed = false
    }

    private let shared = Mutex(Shared())
    /// The tails read lately, by topic and partition (see `tail`).
    private let tails = Mutex<[TopicPartition: (at: ContinuousClock.Instant, records: [StoredRecord]?)]>([:])
    static let tailRecords = 100
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
        startSampler()
    }

    /// Starts watching a broker serving Kafka clients on `address`; its coordinator starts
    /// keeping each group's generations for the timeline.
    public func watch(_ broker: Broker, address: String) async {
        await broker.coordinator.recordGenerations()
        shared.withLock { $0.broker = WatchedBroker(broker: broker, address: address, startMs: broker.clock.milliseconds()) }
        startSampler()
    }

    /// Shows a stored run, read only: its snapshot, and `log` for the tail (closed by `close`).
    public func show(_ snapshot: DashboardSnapshot, log: (any EventLog)?) {
        shared.withLock { $0.storedLog = log }
        publish(snapshot)
        startSampler()
    }

    private func startSampler() {
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
        let logs = shared.withLock { [$0.finished?.log, $0.storedLog] }
        for case let log? in logs { try? await log.close() }
    }

    public var latest: DashboardSnapshot? { shared.withLock { $0.latest } }
    var latestJSON: ByteBuffer? { shared.withLock { $0.latestJSON } }
    var run: LiveRun? { shared.withLock { $0.finished == nil ? $0.run : nil } }
    /// Where the tail of a finished or stored run, or of a broker's topics, is read (a live
    /// run's comes from `run`).
    var tailLog: (any EventLog)? {
        shared.withLock { shared in
            if let log = shared.finished?.log ?? shared.storedLog { return log }
            return shared.broker.map { BuiltInEventLog(broker: $0.broker) }
        }
    }

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

    /// The last `limit` (at most `tailRecords`) records of a partition. A read is reused for
    /// `interval`, whoever asks: every open page polls its tail each second, and the reads (a
    /// few small preads) must not multiply with the clients.
    func tail(_ topic: String, partition: Int, limit: Int) async throws -> [StoredRecord]? {
        let key = TopicPartition(topic, PartitionID(Int32(partition)))
        let now = ContinuousClock.now
        if let cached = tails.withLock({ $0[key] }), now - cached.at < interval { return cached.records.map { Array($0.suffix(limit)) } }
        let records = try await read(topic, partition: key.partition)
        tails.withLock { cache in
            cache = cache.filter { now - $0.value.at < interval }  // only fresh reads are kept
            cache[key] = (now, records)
        }
        return records.map { Array($0.suffix(limit)) }
    }

    private func read(_ topic: String, partition: PartitionID) async throws(PipelineError) -> [StoredRecord]? {
        guard let run else { return try await tailLog?.latestRecords(topic, partition: partition, limit: Self.tailRecords) }
        do {
            return try await run.log.latestRecords(topic, partition: partition, limit: Self.tailRecords)
        } catch {
            // The run's log closes as the run ends; the finished run's reader takes over in a
            // moment. Until then there is nothing to show, not a failure.
            if [.starting, .producing].contains(run.state.snapshot.phase) { throw error }
            return []
        }
    }

    private func sample() async {
        var watcher = RunWatcher()
        var brokerWatcher: BrokerWatcher?
        let clock = ContinuousClock()
        let start = clock.now
        var lastSent = start
        var finishedSent = false
        while !Task.isCancelled {
            let (run, finished, broker) = shared.withLock { ($0.run, $0.finished, $0.broker) }
            let wall = Double((clock.now - start).components.seconds) + Double((clock.now - start).components.attoseconds) / 1e18
            var snapshot: DashboardSnapshot?
            if let finished {
                if !finishedSent {
                    snapshot = watcher.finish(finished.summary, state: finished.state, wallSeconds: wall)
                    finishedSent = true
                }
            } else if let run {
                snapshot = await watcher.sample(run, wallSeconds: wall)
            } else if let broker {
                if brokerWatcher == nil { brokerWatcher = BrokerWatcher(address: broker.address, startMs: broker.startMs) }
                snapshot = await brokerWatcher?.sample(broker.broker, wallSeconds: wall)
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
