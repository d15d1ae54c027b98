import ArgumentParser
import Broker
import BrokerServer
import CPUTime
import Foundation
import Groups
import KafkaCluster
import Logging
import RidePipeline

/// `ridestream bench pipeline`: naive per-event writes vs the pipeline vs direct batch inserts.
struct PipelineBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Compare one transaction per event, the whole pipeline, its databases' SQLite work alone, and direct batch inserts, in one process."
    )

    @Option(help: "The pipeline configuration file (its tariff, regions, batch size and consumers are used).")
    var config = ConfigLoader.defaultPath

    @Option(help: "Drivers for the pipeline and ceiling runs.")
    var drivers = 1000

    @Option(help: "Simulated seconds for the pipeline and ceiling runs.")
    var duration = 300

    @Option(help: "Events for the naive run (each costs three synced transactions).")
    var naiveEvents = 2000

    @Option(help: "Scratch directory (removed afterwards).")
    var dir = "Data/bench-pipeline"

    @Option(help: "Rounds of all the runs; medians are reported.")
    var runs = 3

    @Flag(help: "Also run the pipeline with the live dashboard watching it (a viewer reading every snapshot and the tail each second), by turns with the plain run.")
    var withDashboard = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard drivers > 0, duration > 0, naiveEvents > 0, runs > 0 else {
            throw ValidationError("--drivers, --duration, --naive-events and --runs must be positive")
        }
    }

    func run() async throws {
        var configuration: PipelineConfiguration
        do {
            configuration = try ConfigLoader.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        configuration.drivers = drivers
        configuration.durationSeconds = duration
        var benchmark = PipelineBenchmark(configuration: configuration, naiveEvents: naiveEvents, directory: dir, runs: runs)
        if withDashboard { benchmark.watcher = { [DashboardViewer(run: $0)] } }
        #if KafkaCluster
        // Cluster mode is measured against a `broker serve` of this process on a free port, with
        // the built-in broker's group settings (its 50 ms initial delay applies to every round:
        // each round's groups rejoin emptied groups).
        let clusterDirectory = URL(fileURLWithPath: dir).standardizedFileURL.path + "-cluster"
        try? FileManager.default.removeItem(atPath: clusterDirectory)
        defer { try? FileManager.default.removeItem(atPath: clusterDirectory) }
        let brokerConfiguration = BrokerConfiguration(dataDirectory: clusterDirectory)
        var quiet = Logger(label: "ridestream.bench")
        quiet.logLevel = .warning
        let broker = try Broker(configuration: brokerConfiguration, logger: quiet)
        var serverConfiguration = ServerConfiguration()
        serverConfiguration.host = "127.0.0.1"
        serverConfiguration.port = 0
        let serving = try await KafkaPort.serve(broker: broker, configuration: serverConfiguration, logger: quiet)
        benchmark.cluster = KafkaSettings(bootstrapServers: "127.0.0.1:\(serving.port)")
        #endif
        let result: PipelineBenchmark.Result
        do {
            result = try await benchmark.run { line in
                if !json { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
        } catch {
            #if KafkaCluster
            await serving.stop()
            try? broker.close()
            #endif
            throw error
        }
        #if KafkaCluster
        await serving.stop()
        try broker.close()
        #endif
        if json {
            let object: [String: Any] = [
                "naive_events_per_s": result.naiveEventsPerSecond.rounded(),
                "pipeline_events_per_s": result.pipelineEventsPerSecond.rounded(),
                "ceiling_events_per_s": result.ceilingEventsPerSecond.rounded(),
                "ceiling_per_file_events_per_s": result.ceilingPerFileEventsPerSecond.rounded(),
                "ceiling_one_thread_events_per_s": result.ceilingOneThreadEventsPerSecond.rounded(),
                "direct_events_per_s": result.directEventsPerSecond.rounded(),
                "pipeline_over_naive": result.pipelineOverNaive,
                "pipeline_over_ceiling": result.pipelineOverCeiling,
                "pipeline_over_direct": result.pipelineOverDirect,
                "pipeline_cpu_seconds": try JSONSerialization.jsonObject(with: JSONEncoder().encode(result.medianCPU)),
                "ceiling_workload_bytes": result.workloadBytes,
                "naive_events": result.naiveEvents,
                "events": result.events,
                "runs": result.rounds.count,
            ].merging(result.watchedEventsPerSecond.map {
                ["dashboard_events_per_s": $0.rounded(), "dashboard_over_pipeline": result.watchedOverPipeline ?? 0]
            } ?? [:]) { first, _ in first }.merging(result.kafkaModeEventsPerSecond.map {
                ["kafka_mode_events_per_s": $0.rounded(), "kafka_mode_over_pipeline": result.kafkaModeOverPipeline ?? 0]
            } ?? [:]) { first, _ in first }
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("RideStream pipeline benchmark: \(result.events) events (naive: \(result.naiveEvents)), median of \(result.rounds.count) round(s)")
            print(String(format: "  naive (one synced transaction per event per database) %10.0f events/s", result.naiveEventsPerSecond))
            print(String(format: "  pipeline (simulator -> broker -> three groups)         %10.0f events/s  %.0fx naive", result.pipelineEventsPerSecond, result.pipelineOverNaive))
            print(String(format: "  ceiling: the sinks' SQLite work alone, best of        %10.0f events/s  pipeline = %.0f%% of it", result.ceilingEventsPerSecond, result.pipelineOverCeiling * 100))
            print(String(format: "    one thread per file                                 %10.0f events/s", result.ceilingPerFileEventsPerSecond))
            print(String(format: "    one thread for all                                  %10.0f events/s", result.ceilingOneThreadEventsPerSecond))
            print(String(format: "  direct (the processors, batches straight in, no log)  %10.0f events/s  pipeline = %.0f%% of it", result.directEventsPerSecond, result.pipelineOverDirect * 100))
            if let watched = result.watchedEventsPerSecond {
                print(String(format: "  pipeline with the dashboard watching                  %10.0f events/s  %.1f%% of the pipeline", watched, (result.watchedOverPipeline ?? 0) * 100))
            }
            if let kafka = result.kafkaModeEventsPerSecond {
                print(String(format: "  kafka mode (librdkafka to a broker serve over TCP)   %10.0f events/s  %.0f%% of the embedded pipeline", kafka, (result.kafkaModeOverPipeline ?? 0) * 100))
            } else {
                print("  kafka mode: not measured (build with --traits KafkaCluster)")
            }
            print("\nThe pipeline's CPU time by stage (the median round):")
            for line in result.medianCPU.lines(events: result.events) { print("  " + line) }
        }
    }
}
