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

    @Option(parsing: .unconditional, help: "Number of drivers.")
    var drivers: Int?

    @Option(parsing: .unconditional, help: "Simulated seconds to run.")
    var duration: Int?

    @Option(help: "Random seed: the same seed and config give the same events and rows.")
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Partitions of the topic.")
    var partitions: Int?

    @Flag(help: "Pace simulated time to the wall clock (one tick per tick of real time).")
    var realtime = false

    static func invalid(_ key: String, _ problem: String) -> ConfigError {
        ConfigError(file: "command line", line: nil, key: key, problem: problem)
    }

    /// The configuration file with these overrides applied and checked again.
    func load() throws(ConfigError) -> PipelineConfiguration {
        var configuration: PipelineConfiguration
        do {
            configuration = try ConfigLoader.load(path: config)
        } catch where error.problem == "no such file" && config == ConfigLoader.defaultPath {
            throw ConfigError(
                file: config, line: nil, key: "",
                problem: "no such file: the default configuration is looked up from the current directory; run from the RideStream "
                    + "checkout, or point at a configuration with --config FILE"
            )
        }
        if let dataDir { configuration.dataDirectory = dataDir }
        if let bootstrap {
            guard !bootstrap.isEmpty, bootstrap.split(separator: ",").allSatisfy({ $0.contains(":") }) else {
                throw Self.invalid("--bootstrap", "must be HOST:PORT[,HOST:PORT], got '\(bootstrap)'")
            }
            configuration.brokerMode = .kafka(KafkaSettings(bootstrapServers: bootstrap, properties: configuration.kafkaClientProperties))
        }
        // The same ranges as the configuration file's keys.
        if let drivers {
            guard (1 ... 1_000_000).contains(drivers) else { throw Self.invalid("--drivers", "must be between 1 and 1000000, got \(drivers)") }
            configuration.drivers = drivers
        }
        if let duration {
            guard (1 ... 31_536_000).contains(duration) else {
                throw Self.invalid("--duration", "must be between 1 and 31536000 seconds, got \(duration)")
            }
            configuration.durationSeconds = duration
        }
        if let seed { configuration.seed = seed }
        if let partitions {
            guard (1 ... 1000).contains(partitions) else { throw Self.invalid("--partitions", "must be between 1 and 1000, got \(partitions)") }
            configuration.partitions = partitions
        }
        if realtime { configuration.realtime = true }
        try ConfigLoader.validate(configuration, file: config)
        return configuration
    }
}
