import Broker
import BrokerServer
import Foundation
import KafkaWire
import LogStore
import Logging
import RidePipeline
import TestSupport

/// What the fuzzers feed bytes to. Each target must never crash, hang or grow without bound on
/// any input; errors are expected and ignored. `seeds` are real inputs to start from: the
/// frames captured from kcat, confluent-kafka and kafka-python, built batches, the shipped
/// configuration.
enum FuzzTarget: String, CaseIterable {
    /// A request frame through the header parser and the `RequestDispatcher` on a real broker
    /// in a temporary directory. Requests that wait (Fetch, JoinGroup, SyncGroup) or create
    /// files per input (CreateTopics, CreatePartitions, DeleteTopics) go through their codecs
    /// only, so a run neither stalls nor fills the disk.
    case request
    /// RecordBatch v2 validation, record iteration and `RecordSet` decoding.
    case records
    /// The bytes as a segment file after a crash: recovery (read-only and writable), then every
    /// read a fetch would do.
    case segment
    /// A configuration file through the YAML loader and its checks.
    case config

    /// The target `RIDESTREAM_FUZZ_TARGET` names, read once (the environment is not cheap to
    /// read per input).
    static let current: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["RIDESTREAM_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("set RIDESTREAM_FUZZ_TARGET to one of: \(allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return target
    }()

    func run(_ bytes: [UInt8]) {
        switch self {
        case .request: RequestFuzzing.shared.run(bytes)
        case .records: Self.records(bytes)
        case .segment: SegmentFuzzing.shared.run(bytes)
        case .config: _ = try? ConfigLoader.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")
        }
    }

    var seeds: [[UInt8]] {
        switch self {
        case .request: return CapturedRequests.all
        case .records, .segment:
            return [TestBatches.make(1), TestBatches.make(10, prefix: "k", valueSize: 40), TestBatches.make(3) + TestBatches.make(2)]
        case .config:
            let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/ridestream.yaml")
            return [(try? Data(contentsOf: shipped)).map { [UInt8]($0) } ?? [], Array("simulation: { drivers: 10 }\n".utf8)]
        }
    }

    func writeSeeds(to directory: String) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (index, seed) in seeds.enumerated() {
            _ = FileManager.default.createFile(atPath: "\(directory)/seed-\(index)", contents: Data(seed))
        }
    }

    private static func records(_ bytes: [UInt8]) {
        _ = try? RecordBatch.validateAll(bytes)
        if let records = try? RecordSet.decode(bytes, from: .zero) {
            for index in records.indices { _ = records[index] }
        }
        _ = try? RecordBatch.forEachRecord(in: bytes) { _ in }
    }
}

/// The broker and dispatcher the request target runs against, made once per process.
final class RequestFuzzing: @unchecked Sendable {
    static let shared = RequestFuzzing()

    let directory = TemporaryDirectory("fuzz-request")
    let dispatcher: RequestDispatcher
    private static let codecOnly: Set<ApiKey> = [.fetch, .joinGroup, .syncGroup, .createTopics, .createPartitions, .deleteTopics]

    private init() {
        var configuration = BrokerConfiguration(dataDirectory: directory.path)
        configuration.autoCreateTopics = false
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        let broker = try! Broker(configuration: configuration, logger: logger)
        _ = try! broker.createTopic("t", configuration: TopicConfiguration(partitions: 3))
        dispatcher = RequestDispatcher(broker: broker, configuration: ServerConfiguration(), logger: logger)
    }

    func run(_ frame: [UInt8]) {
        guard let (header, start) = try? RequestHeader.parse(frame) else {
            _ = try? RequestHeader.minimal(of: frame)
            return
        }
        if Self.codecOnly.contains(header.apiKey) {
            let body = Array(frame[start...])
            _ = try? body.withRawBytes { (raw) throws(WireError) in
                switch header.apiKey {
                case .fetch: _ = try Fetch.Request.decode(raw, version: header.apiVersion)
                case .joinGroup: _ = try GroupCodec.Join.decode(raw, version: header.apiVersion)
                case .syncGroup: _ = try GroupCodec.Sync.decode(raw, version: header.apiVersion)
                case .createTopics: _ = try CreateTopics.Request.decode(raw)
                case .createPartitions: _ = try CreatePartitions.Request.decode(raw)
                default: _ = try DeleteTopics.Request.decode(raw)
                }
            }
            return
        }
        let done = DispatchSemaphore(value: 0)
        let dispatcher = dispatcher
        Task {
            _ = try? await dispatcher.handle(frame, clientHost: "/127.0.0.1")
            done.signal()
        }
        done.wait()
    }
}

/// A partition directory rewritten with each input as its only segment, after a crash.
final class SegmentFuzzing: @unchecked Sendable {
    static let shared = SegmentFuzzing()

    let directory = TemporaryDirectory("fuzz-segment")
    var segment: String { directory.file("00000000000000000000.log") }

    func run(_ bytes: [UInt8]) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
            unlink(directory.file(name))
        }
        let descriptor = open(segment, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { fatalError("cannot create \(segment): errno \(errno)") }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else { fatalError("cannot write \(segment): errno \(errno)") }
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        for readOnly in [true, false] {
            guard let log = try? PartitionLog(directory: directory.path, logger: logger, readOnly: readOnly) else { continue }
            var next = log.logStartOffset
            while next < log.logEndOffset, let read = try? log.read(from: next, maxBytes: 1 << 16), !read.bytes.isEmpty {
                guard let records = try? RecordSet.decode(read.bytes, from: next), records.nextOffset > next else { break }
                next = records.nextOffset
            }
            _ = try? log.offset(atOrAfterTimestamp: 0)
            try? log.close()
        }
    }
}
