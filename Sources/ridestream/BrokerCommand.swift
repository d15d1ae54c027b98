import ArgumentParser
import Broker
import BrokerServer
import Dashboard
import Groups
import Logging
import LogStore
import RidePipeline
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `ridestream broker serve`: the built-in broker on Kafka's wire protocol.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker", abstract: "Run the built-in broker for Kafka clients.", subcommands: [Serve.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a data directory's broker on the Kafka protocol (kcat, librdkafka, kafka-python)."
        )

        @OptionGroup var server: ServerOptions
        @OptionGroup(title: "Prometheus metrics") var metrics: MetricsOptions
        @OptionGroup(title: "Dashboard") var dashboard: DashboardOptions
        @Option(help: "The data directory; the broker lives in <dir>/broker.") var dataDir = "Data"
        @Option(help: "Take the log settings (retention, segments, flush) from this configuration file's broker section.")
        var config: String?
        @Option(help: "Partitions of topics created automatically.") var defaultPartitions = 1
        @Option(help: "Largest record batch a producer may send, in bytes (Kafka message.max.bytes).") var maxBatchBytes = 1_048_588
        @Flag(inversion: .prefixedEnableDisable, help: "Create unknown topics when a producer or consumer names them.")
        var autoCreateTopics = true
        @Option(help: "Wait this long for more members before a new group's first rebalance (Kafka group.initial.rebalance.delay.ms).")
        var initialRebalanceDelayMs: Int64 = 3000
        @Option(help: "Delete log segments older than this, in ms (Kafka log.retention.ms; -1 keeps them; default 7 days).")
        var retentionMs: Int64?
        @Option(help: "Delete the oldest segments while a partition holds more than this, in bytes (Kafka log.retention.bytes; -1: no limit).")
        var retentionBytes: Int64?
        @Option(help: "Roll to a new segment file at this size, in bytes (Kafka log.segment.bytes; default 1 GiB).")
        var segmentBytes: Int?
        @Option(help: "Roll to a new segment file when the active one is this old, in ms (Kafka log.roll.ms; default 7 days).")
        var segmentMs: Int64?
        @Option(help: "How often retention runs, in ms (Kafka log.retention.check.interval.ms; default 5 minutes).")
        var retentionCheckMs: Int64?
        @Option(help: "Sync the log to disk every this many ms (Kafka log.flush.interval.ms; default: leave it to the OS).")
        var flushMs: Int64?

        func validate() throws {
            guard defaultPartitions >= 1 else { throw ValidationError("--default-partitions must be at least 1, got \(defaultPartitions)") }
            guard maxBatchBytes >= 1024 else { throw ValidationError("--max-batch-bytes must be at least 1024, got \(maxBatchBytes)") }
            guard initialRebalanceDelayMs >= 0 else {
                throw ValidationError("--initial-rebalance-delay-ms must not be negative, got \(initialRebalanceDelayMs)")
            }
            if let retentionMs, retentionMs == 0 || retentionMs < -1 { throw ValidationError("--retention-ms must be positive or -1, got \(retentionMs)") }
            if let retentionBytes, retentionBytes == 0 || retentionBytes < -1 {
                throw ValidationError("--retention-bytes must be positive or -1, got \(retentionBytes)")
            }
            if let segmentBytes, !(1024 ... Int(Int32.max)).contains(segmentBytes) {
                throw ValidationError("--segment-bytes must be between 1024 and \(Int32.max), got \(segmentBytes)")
            }
            if let segmentMs, segmentMs <= 0 { throw ValidationError("--segment-ms must be positive, got \(segmentMs)") }
            if let retentionCheckMs, !(10 ... 86_400_000).contains(retentionCheckMs) {
                throw ValidationError("--retention-check-ms must be between 10 and 86400000, got \(retentionCheckMs)")
            }
            if let flushMs, flushMs <= 0 { throw ValidationError("--flush-ms must be positive, got \(flushMs)") }
        }

        /// The broker's settings: the configuration file's broker section, if given, then the
        /// command line's flags over it.
        func brokerConfiguration() throws(CommandFailure) -> BrokerConfiguration {
            var brokerConfiguration = BrokerConfiguration(dataDirectory: dataDir + "/broker")
            if let config {
                do {
                    let pipeline = try ConfigLoader.load(path: config)
                    brokerConfiguration.log = pipeline.log
                    brokerConfiguration.retentionCheckIntervalMs = pipeline.retentionCheckIntervalMs
                } catch {
                    throw CommandFailure(error.description, exitCode: 2)
                }
            }
            brokerConfiguration.defaultPartitions = defaultPartitions
            brokerConfiguration.autoCreateTopics = autoCreateTopics
            brokerConfiguration.log.maxBatchBytes = maxBatchBytes
            brokerConfiguration.groups.initialRebalanceDelayMs = initialRebalanceDelayMs
            if let retentionMs { brokerConfiguration.log.retentionMilliseconds = retentionMs < 0 ? nil : retentionMs }
            if let retentionBytes { brokerConfiguration.log.retentionBytes = retentionBytes < 0 ? nil : retentionBytes }
            if let segmentBytes { brokerConfiguration.log.segmentBytes = segmentBytes }
            if let segmentMs { brokerConfiguration.log.segmentMilliseconds = segmentMs }
            if let retentionCheckMs { brokerConfiguration.retentionCheckIntervalMs = retentionCheckMs }
            if let flushMs { brokerConfiguration.log.flush = .interval(records: nil, milliseconds: flushMs) }
            return brokerConfiguration
        }

        func run() async throws {
            let terminal = CommandLineTerminal.shared
            do {
                try await serve(terminal)
            } catch {
                throw error.exit(terminal)
            }
        }

        private func serve(_ terminal: Terminal) async throws(CommandFailure) {
            let configuration = try brokerConfiguration()
            let logger = Logger(label: "ridestream.broker")
            // The ports first, then the directory: a failed start leaves nothing behind.
            let listener = try await KafkaPort.bind(server.configuration, logger: logger)
            let opened = Mutex<Broker?>(nil)
            let board = Dashboard()
            let view: @Sendable () async -> ClusterView? = {
                guard let broker = opened.withLock({ $0 }) else { return nil }
                return await ClusterView.read(broker)
            }
            let exporter = PrometheusExporter()
            var endpoints: [HTTPEndpoint] = []
            func stopEndpoints() async {
                await board.close()
                for endpoint in endpoints { await endpoint.stop() }
            }
            do {
                if let endpoint = try await metrics.start(exporter, view: view, logger: logger) { endpoints.append(endpoint) }
                if let endpoint = try await dashboard.start(board, exporter: exporter, view: view, logger: logger) { endpoints.append(endpoint) }
            } catch {
                await listener.close()
                await stopEndpoints()
                throw error
            }
            let directory: DataDirectory
            let broker: Broker
            do {
                directory = try DataDirectory.acquire(dataDir, access: .exclusive)
            } catch {
                await listener.close()
                await stopEndpoints()
                throw CommandFailure(error.description, exitCode: 1)
            }
            do {
                broker = try Broker(configuration: configuration, logger: logger)
            } catch {
                await listener.close()
                await stopEndpoints()
                directory.discardIfCreated()
                throw CommandFailure(error.description, exitCode: 1)
            }
            opened.withLock { $0 = broker }
            let kafkaAddress = "\(listener.configuration.effectiveAdvertisedHost):\(listener.port)"
            directory.announce(kafkaAddress: kafkaAddress)
            if dashboard.enabled { await board.watch(broker, address: kafkaAddress) }
            var ports = ""
            if metrics.metricsPort != nil, let endpoint = endpoints.first { ports += ", Prometheus metrics on \(endpoint.url)/metrics" }
            if dashboard.enabled, let endpoint = endpoints.last { ports += ", dashboard on \(endpoint.url)/" }
            terminal.line("ridestream broker: Kafka protocol on \(listener.configuration.displayAddress(port: listener.port))\(ports), data in \(dataDir)/broker")
            var quiet = logger
            quiet.logLevel = .warning
            let services = ServiceGroup(configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: BrokerMaintenanceService(broker: broker), serviceName: "broker maintenance"),
                    .init(service: KafkaServer(broker: broker, listener: listener, logger: logger), serviceName: "Kafka port"),
                ],
                gracefulShutdownSignals: [.sigint, .sigterm], logger: quiet
            ))
            var failure: CommandFailure?
            do {
                try await services.run()
            } catch {
                failure = CommandFailure("the broker stopped: \(error)", exitCode: 1)
            }
            await stopEndpoints()
            opened.withLock { $0 = nil }
            do {
                try broker.close()
            } catch {
                throw failure ?? CommandFailure(error.description, exitCode: 1)
            }
            if let failure { throw failure }
            terminal.line("ridestream broker: stopped, logs closed cleanly")
        }
    }
}
