import ArgumentParser
import KafkaCluster
import RidePipeline

/// The options `simulate`, `produce` and `consume` share: the configuration file and the
/// command-line overrides of its values.
struct PipelineOptions: ParsableArguments {
    @Option(help: "The pipeline configuration file.")
    var config = ConfigLoader.defaultPath

    @Option(help: "Where the broker log and the SQLite files go (default: data_dir in the config, Data).")
    var dataDir: String?

    @Option(help: "Run on a Kafka cluster instead of the built-in broker: its bootstrap servers, HOST:PORT[,HOST:PORT] (sets broker.mode kafka; needs the KafkaCluster build trait).")
    var bootstrap: String?

    @Option(help: "Number of drivers.")
    var drivers: Int?

    @Option(help: "Simulated seconds to run.")
    var duration: Int?

    @Option(help: "Random seed: the same seed and config give the same events and rows.")
    var seed: UInt64?

    @Option(help: "Partitions of the topic.")
    var partitions: Int?

    @Flag(help: "Pace simulated time to the wall clock (one tick per tick of real time).")
    var realtime = false

    static func invalid(_ key: String, _ problem: String) -> ConfigError {
        ConfigError(file: "command line", line: nil, key: key, problem: problem)
    }

    /// The configuration file with these overrides applied and checked again.
    func load() throws -> PipelineConfiguration {
        var configuration = try ConfigLoader.load(path: config)
        if let dataDir { configuration.dataDirectory = dataDir }
        if let bootstrap {
            guard !bootstrap.isEmpty, bootstrap.split(separator: ",").allSatisfy({ $0.contains(":") }) else {
                throw Self.invalid("--bootstrap", "must be HOST:PORT[,HOST:PORT], got '\(bootstrap)'")
            }
            configuration.brokerMode = .kafka(KafkaSettings(bootstrapServers: bootstrap, properties: configuration.kafkaClientProperties))
        }
        if let drivers {
            guard drivers > 0 else { throw Self.invalid("--drivers", "must be at least 1, got \(drivers)") }
            configuration.drivers = drivers
        }
        if let duration {
            guard duration > 0 else { throw Self.invalid("--duration", "must be at least 1, got \(duration)") }
            configuration.durationSeconds = duration
        }
        if let seed { configuration.seed = seed }
        if let partitions {
            guard partitions > 0 else { throw Self.invalid("--partitions", "must be at least 1, got \(partitions)") }
            configuration.partitions = partitions
        }
        if realtime { configuration.realtime = true }
        try ConfigLoader.validate(configuration, file: config)
        return configuration
    }
}
