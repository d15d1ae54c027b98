import ArgumentParser
import Broker
import Foundation
import LogStore
#if canImport(Glibc)
import Glibc
#endif

/// `ridestream bench memory-probe`: appends records in this process and prints its peak RSS.
/// `bench broker` runs it twice as child processes, because a process's peak only grows.
struct MemoryProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory-probe",
        abstract: "Append records and print this process's peak resident memory in bytes.",
        shouldDisplay: false
    )

    @Option var records: Int
    @Option var batchBytes = 131_072
    @Option var dir: String

    func run() async throws {
        let broker = try BrokerWorkload.freshBroker(dir, flush: .never)
        try await BrokerWorkload.produce(broker, count: records, batchBytes: batchBytes)
        try broker.close()
        try FileSystemCleaner.remove(dir)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print(usage.ru_maxrss * 1024)
    }

    /// Runs the probe as a child process of this executable and returns its peak RSS.
    static func measure(records: Int, batchBytes: Int, directory: String) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments = ["bench", "memory-probe", "--records", "\(records)", "--batch-bytes", "\(batchBytes)", "--dir", directory]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let peak = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw BenchError("memory probe for \(records) records failed (exit \(process.terminationStatus))") }
        return peak
    }
}
