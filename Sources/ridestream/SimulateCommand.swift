import ArgumentParser
import Foundation
import KafkaCluster
import RidePipeline
#if canImport(Glibc)
import Glibc
#endif

/// `ridestream simulate`: the whole pipeline in one process on the built-in broker.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the ride-sharing simulation: simulator → built-in broker → fare, analytics and support SQLite files."
    )

    @OptionGroup var pipeline: PipelineOptions

    @Option(name: .customLong("consumers"), help: "Consumers of a group, as GROUP=N (repeatable), e.g. --consumers fare=3.")
    var consumerCounts: [String] = []

    @Flag(inversion: .prefixedNo, help: "Clear the previous run's outputs in the data directory first.")
    var fresh = true

    @Flag(help: "Continue an interrupted run (after a crash or kill) from the stored offsets, producing only what the log lacks.")
    var resume = false

    @Option(help: "Also write the summary as JSON to this file.")
    var jsonSummary: String?

    @Flag(help: "Serve the run's broker on the Kafka port while it runs, for kcat and other Kafka clients (see --port).")
    var serve = false

    @OptionGroup(title: "Kafka port (with --serve)") var server: ServerOptions

    func run() async throws {
        let configuration: PipelineConfiguration
        do {
            configuration = try loadConfiguration()
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        var options = RunOptions()
        options.fresh = fresh && !resume
        options.resume = resume
        options.jsonSummaryPath = jsonSummary
        options.interactive = isatty(STDOUT_FILENO) == 1
        let stop = StopSignal()
        stop.installHandlers()
        // Line by line even when stdout is a file or a pipe, so progress shows as it happens.
        let serverConfiguration = server.configuration
        let runner = PipelineRunner(
            configuration: configuration, options: options, stop: stop,
            output: { line in
                print(line)
                fflush(nil)
            },
            attach: { broker in
                guard serve else { return {} }
                return try await KafkaPort.open(broker: broker, configuration: serverConfiguration)
            }
        )
        let summary: RunSummary
        do {
            summary = try await runner.run()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        print(summary.text(topic: configuration.topic))
        if let jsonSummary {
            try summary.json().write(to: URL(fileURLWithPath: jsonSummary))
            print("\nJSON summary written to \(jsonSummary)")
        }
    }

    /// The configuration file with the command-line overrides applied and checked again.
    func loadConfiguration() throws -> PipelineConfiguration {
        var configuration = try pipeline.load()
        if serve, configuration.brokerMode != .embedded {
            throw PipelineOptions.invalid("--serve", "serves the built-in broker; a run on a Kafka cluster has no broker of its own to serve")
        }
        for pair in consumerCounts {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let group = GroupName(rawValue: parts[0]), let count = Int(parts[1]), count > 0 else {
                throw PipelineOptions.invalid("--consumers", "expected GROUP=N with GROUP fare, analytics or support and N ≥ 1, got '\(pair)'")
            }
            configuration.consumers[group] = count
        }
        try ConfigLoader.validate(configuration, file: pipeline.config)
        return configuration
    }
}
