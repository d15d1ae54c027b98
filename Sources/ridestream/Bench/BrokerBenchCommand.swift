import ArgumentParser
import Broker
import Foundation
import KafkaWire
import LogStore
import Logging
import RidePipeline

/// `ridestream bench broker`: append, fsync-append, read and recovery figures for the log,
/// beside the disk's own write and write+fdatasync bandwidth measured in the same run.
struct BrokerBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Benchmark the built-in broker's log against the disk's own bandwidth."
    )

    @Option(help: "Records per append / read run (100-byte values).")
    var records = 5_000_000

    @Option(help: "Records per fsync-per-batch append run.")
    var fsyncRecords = 200_000

    @Option(help: "Producer batch size in bytes (Kafka's default is 16384; throughput setups use larger batches, and each write and fsync costs per call).")
    var batchBytes = 131_072

    @Option(help: "Runs per figure; the median is reported.")
    var runs = 3

    @Option(help: "Scratch directory on the disk to measure (removed afterwards).")
    var dir = "Data/bench"

    @Option(help: "Records for the small and large memory runs (separate processes).")
    var memoryRecords: [Int] = [1_000_000, 20_000_000]

    @Flag(help: "Skip the memory runs.")
    var skipMemory = false

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard records > 0, fsyncRecords > 0, runs > 0 else { throw ValidationError("--records, --fsync-records and --runs must be positive") }
        guard batchBytes >= 1024, batchBytes <= 1_000_000 else { throw ValidationError("--batch-bytes must be between 1024 and 1000000") }
        guard skipMemory || memoryRecords.count == 2 else { throw ValidationError("--memory-records takes two counts: small and large") }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: dir).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var report = BrokerBenchReport(records: records, fsyncRecords: fsyncRecords, batchBytes: batchBytes, runs: runs, directory: root)
        let progress = Progress(enabled: !json)

        for run in 1 ... runs {
            progress.say("run \(run)/\(runs): append")
            let appendDir = root + "/append"
            let broker = try BrokerWorkload.freshBroker(appendDir, flush: .never)
            let appendSeconds = try await Stopwatch.time { try await BrokerWorkload.produce(broker, count: records, batchBytes: batchBytes) }
            let bytes = try BrokerWorkload.logBytes(broker)
            report.append.add(records: records, bytes: bytes, seconds: appendSeconds)

            progress.say("run \(run)/\(runs): read")
            let readSeconds = try await Stopwatch.time { try await readEverything(broker, expected: records, group: "bench-read-\(run)") }
            report.read.add(records: records, bytes: bytes, seconds: readSeconds)
            try broker.close()

            progress.say("run \(run)/\(runs): recovery")
            let recovery = try recoverySecondsPerGiB(appendDir)
            report.recoverySecondsPerGiB.append(recovery.broker)
            report.logRecoverySecondsPerGiB.append(recovery.log)
            try FileSystemCleaner.remove(appendDir)

            progress.say("run \(run)/\(runs): disk write")
            report.diskWrite.append(try DiskBaseline.sequentialWrite(directory: root, totalBytes: bytes, chunkBytes: batchBytes, syncEachChunk: false))

            progress.say("run \(run)/\(runs): append with fsync per batch")
            let fsyncDir = root + "/fsync"
            let fsyncBroker = try BrokerWorkload.freshBroker(fsyncDir, flush: .everyAppend)
            let fsyncSeconds = try await Stopwatch.time { try await BrokerWorkload.produce(fsyncBroker, count: fsyncRecords, batchBytes: batchBytes) }
            let fsyncBytes = try BrokerWorkload.logBytes(fsyncBroker)
            report.appendFsync.add(records: fsyncRecords, bytes: fsyncBytes, seconds: fsyncSeconds)
            try fsyncBroker.close()
            try FileSystemCleaner.remove(fsyncDir)

            progress.say("run \(run)/\(runs): disk write+fdatasync")
            report.diskFsync.append(try DiskBaseline.sequentialWrite(directory: root, totalBytes: fsyncBytes, chunkBytes: batchBytes, syncEachChunk: true))
        }
        if !skipMemory {
            for count in memoryRecords {
                progress.say("memory: appending \(count) records in a separate process")
                report.memory.append(MemoryRun(records: count, peakRSSBytes: try MemoryProbeCommand.measure(records: count, batchBytes: batchBytes, directory: root + "/memory")))
            }
        }
        print(json ? report.json() : report.table())
    }

    /// Reads the whole topic back with an in-process consumer in a fresh group.
    private func readEverything(_ broker: Broker, expected: Int, group: String) async throws {
        var configuration = ConsumerConfiguration(groupID: group, topics: [BrokerWorkload.topic])
        configuration.fetchMaxWaitMs = 10
        configuration.maxPartitionFetchBytes = 4 << 20
        let consumer = Consumer(broker: broker, configuration: configuration)
        var seen = 0
        var checksum = 0
        while seen < expected {
            for batch in try await consumer.poll() {
                seen += batch.records.count
                for record in batch.records { checksum &+= record.value?.count ?? 0 }
            }
        }
        await consumer.close()
        guard checksum == expected * BrokerWorkload.valueBytes else { throw BenchError("read back \(checksum) value bytes, expected \(expected * BrokerWorkload.valueBytes)") }
    }

    /// Reopens a closed broker as if it had crashed (the partition's clean-shutdown marker and
    /// producer-state snapshot removed): every batch of the active segment is CRC-checked, its
    /// indexes rebuilt and its headers replayed into the idempotent producers' state. Before
    /// that, the partition log alone the same way, for the scan's share.
    private func recoverySecondsPerGiB(_ dataDirectory: String) throws -> (broker: Double, log: Double) {
        let partitionDirectory = dataDirectory + "/topics/\(BrokerWorkload.topic)/0"
        func crashed<T>(_ open: () throws -> (T, RecoveryReport), close: (T) throws -> Void) throws -> Double {
            try FileSystemCleaner.remove(partitionDirectory + "/.clean-shutdown")
            try FileSystemCleaner.remove(partitionDirectory + "/producer-state")
            var scanned = 0
            let seconds = try Stopwatch.time {
                let (opened, recovery) = try open()
                scanned = recovery.scannedBytes
                guard !recovery.cleanShutdown, recovery.truncatedBytes == 0 else { throw BenchError("recovery did not scan a clean log") }
                try close(opened)
            }
            return seconds / (Double(scanned) / Double(1 << 30))
        }
        let log = try crashed({
            let log = try PartitionLog(directory: partitionDirectory)
            return (log, log.recovery)
        }, close: { try $0.close() })
        var logger = Logger(label: "ridestream.bench")
        logger.logLevel = .warning
        let broker = try crashed({
            let broker = try Broker(configuration: BrokerConfiguration(dataDirectory: dataDirectory), logger: logger)
            return (broker, try broker.describeTopic(BrokerWorkload.topic).partitions[0].recovery)
        }, close: { try $0.close() })
        return (broker, log)
    }
}

/// Status lines on standard error, so `--json` output stays clean.
struct Progress {
    let enabled: Bool
    func say(_ line: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
