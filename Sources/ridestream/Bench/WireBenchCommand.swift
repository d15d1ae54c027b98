import ArgumentParser
import Broker
import BrokerServer
import Foundation
import KafkaWire
import RidePipeline
import Logging
import LogStore

/// `ridestream bench wire`: produce and consume throughput over the Kafka port with a real
/// librdkafka client (kcat), beside the in-process append rate measured in the same run.
///
/// Each run: a fresh broker in the scratch directory, served on a free loopback port;
/// `kcat -P` sends the message file (100-byte messages, one per line) and exits when every
/// message is acknowledged; `kcat -C -e` reads them all back. Times include kcat's start-up
/// and shutdown, so they understate the steady-state rate slightly. Then the same number of
/// records is appended through the in-process producer, the ceiling the port is compared with.
struct WireBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Benchmark the Kafka port with librdkafka (kcat) against in-process appends."
    )

    @Option(help: "Messages per run (100 bytes each).") var messages = 2_000_000
    @Option(help: "Runs per figure; the median is reported.") var runs = 3
    @Option(help: "Scratch directory (removed afterwards).") var dir = "Data/bench-wire"
    @Option(help: "The kcat executable (Debian package kcat).") var kcat = "/usr/bin/kcat"
    @Option(help: "librdkafka producer setting, as KEY=VALUE (repeatable); added to the defaults shown in the report.")
    var producerProperty: [String] = []
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    /// librdkafka producer settings of the run: its defaults (acks=all, no compression) with
    /// larger batches and queue, as throughput setups use.
    static let producerDefaults = [
        "linger.ms=10", "batch.num.messages=100000", "batch.size=1000000", "queue.buffering.max.messages=2000000",
        "queue.buffering.max.kbytes=2097151",
    ]

    func validate() throws {
        guard messages > 0, runs > 0 else { throw ValidationError("--messages and --runs must be positive") }
        guard FileManager.default.isExecutableFile(atPath: kcat) else {
            throw ValidationError("kcat not found at \(kcat) (apt-get install kcat, or --kcat PATH)")
        }
        for property in producerProperty where !property.contains("=") {
            throw ValidationError("--producer-property takes KEY=VALUE, got '\(property)'")
        }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: dir).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let progress = Progress(enabled: !json)
        let input = root + "/messages.txt"
        try writeMessages(to: input)
        let properties = Self.producerDefaults + producerProperty
        var produce: [Double] = []
        var consume: [Double] = []
        var inProcess: [Double] = []
        for run in 1 ... runs {
            let brokerDirectory = root + "/broker"
            let broker = try BrokerWorkload.freshBroker(brokerDirectory, flush: .never)
            var serverConfiguration = ServerConfiguration()
            serverConfiguration.host = "127.0.0.1"
            serverConfiguration.port = 0
            var logger = Logger(label: "ridestream.bench")
            logger.logLevel = .warning
            let serving = try await KafkaPort.serve(broker: broker, configuration: serverConfiguration, logger: logger)
            let bootstrap = "127.0.0.1:\(serving.port)"

            progress.say("run \(run)/\(runs): kcat -P of \(messages) messages")
            let produceSeconds = try await Stopwatch.time {
                try await runKcat(["-P", "-b", bootstrap, "-t", BrokerWorkload.topic, "-p", "0"] + properties.flatMap { ["-X", $0] }, stdin: input)
            }
            let stored = try broker.bounds(TopicPartition(BrokerWorkload.topic, PartitionID(0))).end.rawValue
            guard stored == Int64(messages) else { throw BenchError("kcat produced \(stored) of \(messages) messages") }
            produce.append(Double(messages) / produceSeconds)

            progress.say("run \(run)/\(runs): kcat -C of \(messages) messages")
            let consumeSeconds = try await Stopwatch.time {
                try await runKcat(["-C", "-b", bootstrap, "-t", BrokerWorkload.topic, "-p", "0", "-o", "beginning", "-e", "-q", "-c", String(messages)], stdin: nil)
            }
            consume.append(Double(messages) / consumeSeconds)
            await serving.stop()
            try broker.close()

            progress.say("run \(run)/\(runs): in-process append of \(messages) records")
            let local = try BrokerWorkload.freshBroker(brokerDirectory, flush: .never)
            let localSeconds = try await Stopwatch.time { try await BrokerWorkload.produce(local, count: messages, batchBytes: 131_072) }
            inProcess.append(Double(messages) / localSeconds)
            try local.close()
            try FileSystemCleaner.remove(brokerDirectory)
        }
        let report = WireBenchReport(
            messages: messages, runs: runs, producerProperties: properties,
            produce: median(produce), consume: median(consume), inProcess: median(inProcess)
        )
        print(json ? report.json() : report.table())
    }

    /// One message per line, each exactly `BrokerWorkload.valueBytes` bytes.
    private func writeMessages(to path: String) throws {
        guard let file = FileHandle(forWritingAtPath: path) ?? {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }() else { throw BenchError("cannot write \(path)") }
        defer { try? file.close() }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 20)
        for index in 0 ..< messages {
            chunk += BrokerWorkload.value(index)
            chunk.append(0x0a)
            if chunk.count >= 1 << 20 {
                try file.write(contentsOf: chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try file.write(contentsOf: chunk)
    }

    /// Runs kcat to completion without blocking a thread of the concurrency pool, which the
    /// server's request handling shares; its standard error goes to a file for the message.
    private func runKcat(_ arguments: [String], stdin: String?) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kcat)
        process.arguments = arguments
        if let stdin { process.standardInput = FileHandle(forReadingAtPath: stdin) }
        process.standardOutput = FileHandle.nullDevice
        let errorPath = URL(fileURLWithPath: dir).standardizedFileURL.path + "/kcat-errors.txt"
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        guard status == 0 else {
            let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            throw BenchError("kcat \(arguments.prefix(1).joined()) exited \(status): \(errors.suffix(500))")
        }
    }
}

/// The figures of `bench wire`.
struct WireBenchReport {
    var messages: Int
    var runs: Int
    var producerProperties: [String]
    var produce: Double
    var consume: Double
    var inProcess: Double

    func table() -> String {
        func rate(_ value: Double) -> String { String(format: "%12.0f msg/s", value) }
        return """
        bench wire: \(messages) messages of 100 bytes, median of \(runs) runs, kcat (librdkafka) over loopback
          produce over the Kafka port  \(rate(produce))   \(String(format: "%5.1f", produce / inProcess * 100)) % of in-process   (target ≥ 1,000,000)
          consume over the Kafka port  \(rate(consume))
          in-process append (baseline) \(rate(inProcess))
          producer settings: \(producerProperties.joined(separator: " "))
        """
    }

    func json() -> String {
        """
        {"messages": \(messages), "runs": \(runs), "wire_produce_msgs_per_s": \(Int(produce)), \
        "wire_consume_msgs_per_s": \(Int(consume)), "inprocess_append_records_per_s": \(Int(inProcess)), \
        "wire_produce_vs_inprocess": \(String(format: "%.3f", produce / inProcess))}
        """
    }
}
