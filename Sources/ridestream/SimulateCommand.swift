import ArgumentParser
import BrokerServer
import Dashboard
import Foundation
import Logging
import RidePipeline
import Synchronization

/// `ridestream simulate`: the whole pipeline in one process on the built-in broker.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the ride-sharing simulation: simulator → built-in broker → fare, analytics and support SQLite files."
    )

    @OptionGroup var pipeline: PipelineOptions

    @Option(name: .customLong("consumers"), help: "Consumers of a group, as GROUP=N (repeatable), e.g. --consumers fare=3.")
    var consumerCounts: [String] = []

    @Flag(inversion: .prefixedNo, help: "Clear the previous run's outputs in the data directory first (--no-fresh keeps them, and refuses a directory that already holds a run).")
    var fresh = true

    @Flag(help: "Continue an interrupted run (after a crash or kill) from the stored offsets, producing only what the log lacks.")
    var resume = false

    @Option(help: "Also write the summary as JSON to this file.")
    var jsonSummary: String?

    @Flag(help: "Serve the run's broker on the Kafka port while it runs, for kcat and other Kafka clients (see --port).")
    var serve = false

    @OptionGroup(title: "Kafka port (with --serve)") var server: ServerOptions

    @OptionGroup(title: "Prometheus metrics") var metrics: MetricsOptions

    @OptionGroup(title: "Dashboard") var dashboard: DashboardOptions

    func run() async throws {
        let terminal = CommandLineTerminal.shared
        do {
            try await simulate(terminal)
        } catch {
            throw error.exit(terminal)
        }
    }

    private func simulate(_ terminal: Terminal) async throws(CommandFailure) {
        let (configuration, _) = try loadConfiguration()
        if let jsonSummary { try Self.checkWritable(jsonSummary, flag: "--json-summary") }
        var options = RunOptions()
        options.fresh = fresh && !resume
        options.resume = resume
        options.handleSignals = true
        let logger = Logger(label: "ridestream")
        // The ports first: a command that cannot get its ports leaves nothing behind.
        let listener: KafkaListener? = serve ? try await KafkaPort.bind(server.configuration, logger: logger) : nil
        let live = Mutex<LiveRun?>(nil)
        let exporter = PrometheusExporter()
        let board = Dashboard()
        let view: @Sendable () async -> ClusterView? = {
            guard let run = live.withLock({ $0 }) else { return nil }
            return await ClusterView.read(run)
        }
        if metrics.metricsPort != nil || dashboard.enabled { options.metrics = exporter.runMetrics }
        let runner = PipelineRunner(
            configuration: configuration, options: options, terminal: terminal, logger: logger,
            extraServices: { broker in
                guard let listener else { return ([], nil) }
                let address = "\(listener.configuration.effectiveAdvertisedHost):\(listener.port)"
                terminal.line("Kafka protocol on \(listener.configuration.displayAddress(port: listener.port)) for the length of the run, e.g. "
                    + "kcat -b \(address) -C -t \(configuration.topic)")
                return ([KafkaServer(broker: broker, listener: listener, logger: logger)], address)
            },
            observers: { run in
                live.withLock { $0 = run }
                if dashboard.enabled { board.watch(run) }
                return []
            }
        )
        // Signals are taken over before anything is printed: a SIGTERM as soon as the URL shows
        // must stop the run, not be lost while the handlers register.
        SecondInterrupt.install(terminal, runner: runner, resumeHint: "`ridestream simulate --resume` (with the same options) finishes the run")
        let metricsEndpoint: HTTPEndpoint?
        let dashboardEndpoint: HTTPEndpoint?
        do throws(CommandFailure) {
            metricsEndpoint = try await metrics.start(exporter, view: view, logger: logger)
            do throws(CommandFailure) {
                dashboardEndpoint = try await dashboard.start(board, exporter: exporter, view: view, logger: logger)
            } catch {
                await metricsEndpoint?.stop()
                throw error
            }
        } catch {
            await listener?.close()
            throw error
        }
        if let metricsEndpoint { terminal.line("Prometheus metrics on \(metricsEndpoint.url)/metrics for the length of the run") }
        if let dashboardEndpoint {
            let pace = configuration.pace.map { "\($0.formatted()) simulated seconds per second (--speed)" } ?? "unpaced (--speed max)"
            terminal.line("Dashboard on \(dashboardEndpoint.url)/ (the run is \(pace); Prometheus metrics at /metrics)")
        }
        let summary: RunSummary
        do {
            summary = try await runner.run()
            await metricsEndpoint?.stop()
        } catch {
            live.withLock { $0 = nil }
            await metricsEndpoint?.stop()
            await board.close()
            await dashboardEndpoint?.stop()
            await listener?.close()
            var failure = CommandFailure(error)
            if error.isStorageFailure {
                failure.description += "\nThe log and the databases keep what was stored before the disk refused; once there is room, "
                    + "`ridestream simulate --resume` (with the same options) finishes the run."
            }
            throw failure
        }
        let finished = live.withLock { run in
            defer { run = nil }
            return run
        }
        // A run stopped by Ctrl-C or SIGTERM ends the dashboard with it: whoever stopped it wants
        // the process gone (a service manager's stop included), not a page to close again.
        let keepsPage = dashboardEndpoint != nil && !summary.stoppedEarly
        let stops = keepsPage ? SecondInterrupt.runEnded() : nil
        if keepsPage, let finished {
            // The page's last snapshot comes from the summary (the log is closed); the tail
            // reads the log read-only (this process still holds the directory).
            var reader: BuiltInEventLog?
            if configuration.brokerMode == .embedded {
                do {
                    reader = try BuiltInEventLog.readOnly(brokerDirectory: configuration.dataDirectory + "/broker")
                } catch {
                    terminal.line("the dashboard cannot show the finished run's records: \(error)", to: .standardError)
                }
            }
            board.finish(Dashboard.Finished(summary: summary, state: finished.state, log: reader))
        }
        terminal.line(summary.text(topic: configuration.topic))
        if let jsonSummary {
            do {
                try summary.json().write(to: URL(fileURLWithPath: jsonSummary))
            } catch {
                await board.close()
                await dashboardEndpoint?.stop()
                throw CommandFailure("--json-summary \(jsonSummary): cannot write it: \(error.localizedDescription)", exitCode: 1)
            }
            terminal.line("\nJSON summary written to \(jsonSummary)")
        }
        guard let dashboardEndpoint, let stops else {
            await board.close()
            await dashboardEndpoint?.stop()
            return
        }
        terminal.line("\nThe run has finished; the dashboard stays up on \(dashboardEndpoint.url)/ with its results until Ctrl-C.")
        await SecondInterrupt.waitForStop(stops)
        await board.close()
        await dashboardEndpoint.stop()
    }

    /// The configuration file with the command-line overrides applied and checked again, and
    /// the scenario checked against the consumer counts.
    func loadConfiguration() throws(CommandFailure) -> (PipelineConfiguration, ScenarioPlan) {
        do throws(ConfigError) {
            var configuration = try pipeline.load()
            if serve, configuration.brokerMode != .embedded {
                throw PipelineOptions.invalid("--serve", "serves the built-in broker; a run on a Kafka cluster has no broker of its own to serve")
            }
            var overridden: Set<GroupName> = []
            for pair in consumerCounts {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let group = GroupName(rawValue: parts[0]), let count = Int(parts[1]), ConfigLimits.consumers.contains(count) else {
                    throw PipelineOptions.invalid("--consumers", "expected GROUP=N with GROUP fare, analytics or support and N from \(ConfigLimits.consumers.lowerBound) to \(ConfigLimits.consumers.upperBound), got '\(pair)'")
                }
                configuration.consumers[group] = count
                overridden.insert(group)
            }
            if dashboard.enabled, pipeline.speed == nil, !configuration.realtime { configuration.speed = DashboardOptions.defaultSpeed }
            try ConfigLoader.validate(configuration, file: pipeline.config)
            let plan = try ScenarioPlan.make(configuration, file: pipeline.config) { group in
                overridden.contains(group) ? "--consumers \(group.rawValue)=\(configuration.consumers[group] ?? 1)" : "groups.\(group.rawValue).consumers"
            }
            return (configuration, plan)
        } catch {
            throw CommandFailure(error.description, exitCode: 2)
        }
    }

    /// Refuses, before anything is done, an output file whose directory does not exist or is
    /// not writable, naming the flag.
    static func checkWritable(_ path: String, flag: String) throws(CommandFailure) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
              FileManager.default.isWritableFile(atPath: directory) else {
            throw CommandFailure("\(flag) \(path): the directory \(directory) does not exist or is not writable", exitCode: 2)
        }
    }
}

extension Error {
    /// The exit for a command's failure: its message on standard error and its exit code.
    func exit(_ terminal: Terminal) -> any Error {
        if let failure = self as? CommandFailure { return failure.exit(terminal) }
        return self
    }
}
