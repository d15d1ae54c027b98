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

    @Flag(help: "Pace simulated time to the wall clock (one tick per tick of real time; --speed 1).")
    var realtime = false

    @Option(help: "Simulated seconds per wall second (e.g. 10, 0.5), or max for as fast as it goes (default: max; 10 with --dashboard).")
    var speed: String?

    static func invalid(_ key: String, _ problem: String) -> ConfigError {
        ConfigError(file: "command line", line: nil, key: key, problem: problem)
    }

    /// `value` when `range` holds it, else the configuration's range message naming `flag`.
    static func checked(_ value: Int, _ range: ClosedRange<Int>, flag: String) throws(ConfigError) -> Int {
        guard range.contains(value) else { throw invalid(flag, ConfigLimits.outOfRange(value, range)) }
        return value
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
        if let dataDir {
            guard !dataDir.isEmpty else { throw Self.invalid("--data-dir", "must name a directory, got an empty path") }
            configuration.dataDirectory = dataDir
        }
        if let bootstrap {
            guard !bootstrap.isEmpty, bootstrap.split(separator: ",").allSatisfy({ $0.contains(":") }) else {
                throw Self.invalid("--bootstrap", "must be HOST:PORT[,HOST:PORT], got '\(bootstrap)'")
            }
            configuration.brokerMode = .kafka(KafkaSettings(bootstrapServers: bootstrap, properties: configuration.kafkaClientProperties))
        }
        // The configuration file's ranges (`ConfigLimits`), named by flag.
        if let drivers { configuration.drivers = try Self.checked(drivers, ConfigLimits.drivers, flag: "--drivers") }
        if let duration { configuration.durationSeconds = try Self.checked(duration, ConfigLimits.durationSeconds, flag: "--duration") }
        if let seed { configuration.seed = seed }
        if let partitions { configuration.partitions = try Self.checked(partitions, ConfigLimits.partitions, flag: "--partitions") }
        if realtime { configuration.realtime = true }
        if let speed {
            if realtime { throw Self.invalid("--speed", "give either --speed or --realtime (which is --speed 1)") }
            configuration.realtime = false
            if speed != "max" {
                guard let value = Double(speed), value.isFinite, (0.01 ... 1_000_000).contains(value) else {
                    throw Self.invalid("--speed", "expected simulated seconds per wall second from 0.01 to 1000000, or max, got '\(speed)'")
                }
                configuration.speed = value
            }
        }
        try ConfigLoader.validate(configuration, file: config)
        return configuration
    }
}
