import KafkaCluster
import Broker
import Foundation
import Groups
import LogStore
import RideModel
import Yams

/// Reads and validates the pipeline configuration file.
///
/// Every problem — a missing file, a YAML syntax error, an unknown key, a wrong type, an
/// impossible value, a region table that names an unknown region or a partition that does not
/// exist — is a `ConfigError` naming the file, line and key. Nothing is written while loading.
public enum ConfigLoader {
    /// The file the default run uses, relative to the working directory.
    public static let defaultPath = "Config/ridestream.yaml"

    public static func load(path: String) throws(ConfigError) -> PipelineConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let problem = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"
            throw ConfigError(file: path, line: nil, key: "", problem: problem)
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> PipelineConfiguration {
        if let found = ComplexKeyScan.first(in: text) {
            throw ConfigError(file: file, line: found.line, key: "", problem: found.problem)
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text, .default, .default, .utf8) else {
                throw ConfigError(file: file, line: nil, key: "", problem: "the file is empty")
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        } catch {
            throw ConfigError(file: file, line: nil, key: "", problem: "not valid YAML: \(error)")
        }
        var configuration = PipelineConfiguration()
        let top = try ConfigNode(node: root, path: "", file: file).mapping(
            allowed: ["simulation", "regions", "topic", "groups", "consumer", "producer", "fare", "data_dir", "broker", "scenario"]
        )
        if let node = top["simulation"] { try readSimulation(node, into: &configuration) }
        if let node = top["regions"] { configuration.regions = try readRegions(node) }
        if let node = top["topic"] { try readTopic(node, into: &configuration) }
        if let node = top["groups"] { try readGroups(node, into: &configuration) }
        if let node = top["consumer"] { try readConsumer(node, into: &configuration) }
        if let node = top["producer"] {
            let producer = try node.mapping(allowed: ["batch_bytes", "linger_ms"])
            if let value = producer["batch_bytes"] { configuration.producerBatchBytes = try value.int(1024 ... 1_000_000) }
            if let value = producer["linger_ms"] { configuration.producerLingerMs = Int64(try value.int(0 ... 10_000)) }
        }
        if let node = top["fare"] { configuration.tariff = try readTariff(node) }
        if let node = top["data_dir"] { configuration.dataDirectory = try node.string() }
        if let node = top["broker"] { try readBroker(node, into: &configuration) }
        if let node = top["scenario"] { try readScenario(node, into: &configuration) }
        try validate(configuration, file: file)
        return configuration
    }

    private static func syntaxError(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return ConfigError(file: file, line: mark.line, key: "", problem: "YAML syntax error: \(problem)")
        default:
            return ConfigError(file: file, line: nil, key: "", problem: "YAML syntax error: \(error)")
        }
    }

    private static func readSimulation(_ node: ConfigNode, into configuration: inout PipelineConfiguration) throws(ConfigError) {
        let fields = try node.mapping(allowed: ["drivers", "duration_seconds", "tick_ms", "seed", "start_time_ms", "realtime"])
        if let value = fields["drivers"] { configuration.drivers = try value.int(ConfigLimits.drivers) }
        if let value = fields["duration_seconds"] { configuration.durationSeconds = try value.int(ConfigLimits.durationSeconds) }
        if let value = fields["tick_ms"] { configuration.tickMs = Int64(try value.int(10 ... 3_600_000)) }
        if let value = fields["seed"] { configuration.seed = UInt64(try value.int(0 ... Int.max)) }
        if let value = fields["start_time_ms"] { configuration.startTime = Int64(try value.int(0 ... Int.max)) }
        if let value = fields["realtime"] { configuration.realtime = try value.bool() }
    }

    private static func readRegions(_ node: ConfigNode) throws(ConfigError) -> [Region] {
        var regions: [Region] = []
        for item in try node.sequence() {
            let fields = try item.mapping(allowed: ["name", "box"])
            guard let nameNode = fields["name"], let boxNode = fields["box"] else { throw item.fail("needs a name and a box") }
            let name = try nameNode.string()
            guard !name.isEmpty, !regions.contains(where: { $0.name == name }) else { throw nameNode.fail("region names must be unique and not empty") }
            let corners = try boxNode.sequence()
            guard corners.count == 4 else { throw boxNode.fail("must be [min_lat, max_lat, min_lon, max_lon]") }
            let box = GeoBox(
                minLat: try corners[0].double(-90 ... 90), maxLat: try corners[1].double(-90 ... 90),
                minLon: try corners[2].double(-180 ... 180), maxLon: try corners[3].double(-180 ... 180)
            )
            guard box.minLat < box.maxLat, box.minLon < box.maxLon else { throw boxNode.fail("minimums must be below maximums") }
            regions.append(Region(name: name, box: box))
        }
        guard !regions.isEmpty else { throw node.fail("needs at least one region") }
        return regions
    }

    private static func readTopic(_ node: ConfigNode, into configuration: inout PipelineConfiguration) throws(ConfigError) {
        let fields = try node.mapping(allowed: ["name", "partitions", "region_partitions"])
        if let value = fields["name"] { configuration.topic = try value.string() }
        if let value = fields["partitions"] { configuration.partitions = try value.int(ConfigLimits.partitions) }
        if let table = fields["region_partitions"], !table.isNull {
            var result: [String: [Int]] = [:]
            for (region, list) in try table.entries() {
                result[region] = try list.sequence().map { (item) throws(ConfigError) in try item.int(0 ... 999) }
            }
            configuration.regionPartitions = result
        }
    }

    private static func readGroups(_ node: ConfigNode, into configuration: inout PipelineConfiguration) throws(ConfigError) {
        let fields = try node.mapping(allowed: Set(GroupName.allCases.map(\.rawValue)))
        for (name, value) in fields {
            let group = GroupName(rawValue: name)!
            let settings = try value.mapping(allowed: ["consumers"])
            if let count = settings["consumers"] { configuration.consumers[group] = try count.int(ConfigLimits.consumers) }
        }
    }

    private static func readConsumer(_ node: ConfigNode, into configuration: inout PipelineConfiguration) throws(ConfigError) {
        let fields = try node.mapping(allowed: ["batch_size", "linger_ms", "session_timeout_ms", "heartbeat_ms", "assignor"])
        if let value = fields["batch_size"] { configuration.batchSize = try value.int(1 ... 1_000_000) }
        if let value = fields["linger_ms"] { configuration.lingerMs = Int64(try value.int(0 ... 60_000)) }
        if let value = fields["session_timeout_ms"] { configuration.sessionTimeoutMs = Int32(try value.int(500 ... 300_000)) }
        if let value = fields["heartbeat_ms"] { configuration.heartbeatIntervalMs = Int64(try value.int(10 ... 60_000)) }
        if let value = fields["assignor"] {
            let name = try value.string()
            guard Assignors.named(name) != nil else {
                throw value.fail("must be \(Assignors.all.map(\.name).joined(separator: ", ")), got '\(name)'")
            }
            configuration.assignor = name
        }
    }

    private static func readTariff(_ node: ConfigNode) throws(ConfigError) -> Tariff {
        let fields = try node.mapping(allowed: ["base", "per_km", "per_minute", "minimum"])
        var tariff = Tariff()
        if let value = fields["base"] { tariff.base = try value.double(0 ... 1_000_000) }
        if let value = fields["per_km"] { tariff.perKm = try value.double(0 ... 1_000_000) }
        if let value = fields["per_minute"] { tariff.perMinute = try value.double(0 ... 1_000_000) }
        if let value = fields["minimum"] { tariff.minimum = try value.double(0 ... 1_000_000) }
        return tariff
    }

    private static func readBroker(_ node: ConfigNode, into configuration: inout PipelineConfiguration) throws(ConfigError) {
        let fields = try node.mapping(allowed: [
            "mode", "bootstrap_servers", "client_properties", "replication_factor",
            "retention_hours", "retention_mb", "segment_mb", "flush", "flush_records", "flush_ms", "retention_check_ms",
        ])
        if let value = fields["replication_factor"] { configuration.replicationFactor = try value.int(1 ... 32) }
        let servers = try fields["bootstrap_servers"].map { (node) throws(ConfigError) in try node.string() }
        var properties: [String: String] = [:]
        if let node = fields["client_properties"] {
            let reserved: Set = ["bootstrap.servers", "group.id", "client.id", "enable.auto.commit", "enable.auto.offset.store"]
            for (key, value) in try node.entries() {
                guard !reserved.contains(key) else {
                    throw value.fail("is set by RideStream itself (each group and consumer needs its own; commits follow the databases)")
                }
                properties[key] = try value.string()
            }
        }
        configuration.kafkaClientProperties = properties
        if let mode = fields["mode"] {
            switch try mode.string() {
            case "embedded": configuration.brokerMode = .embedded
            case "kafka":
                guard let servers, !servers.isEmpty else { throw mode.fail("'kafka' needs broker.bootstrap_servers (host:port[,host:port])") }
                configuration.brokerMode = .kafka(KafkaSettings(bootstrapServers: servers, properties: properties))
            case let other: throw mode.fail("must be embedded or kafka, got '\(other)'")
            }
        }
        if let value = fields["retention_hours"] {
            configuration.log.retentionMilliseconds = value.isNull ? nil : Int64(try value.int(1 ... 100_000)) * 3_600_000
        }
        if let value = fields["retention_mb"] {
            configuration.log.retentionBytes = value.isNull ? nil : Int64(try value.int(1 ... 100_000_000)) << 20
        }
        if let value = fields["segment_mb"] { configuration.log.segmentBytes = try value.int(1 ... 2047) << 20 }
        if let value = fields["retention_check_ms"] { configuration.retentionCheckIntervalMs = Int64(try value.int(10 ... 86_400_000)) }
        let records = try fields["flush_records"].map { (node) throws(ConfigError) in try node.int(1 ... 100_000_000) }
        let milliseconds = try fields["flush_ms"].map { (node) throws(ConfigError) in Int64(try node.int(1 ... 86_400_000)) }
        if let value = fields["flush"] {
            switch try value.string() {
            case "never": configuration.log.flush = .never
            case "every_append": configuration.log.flush = .everyAppend
            case "interval":
                guard records != nil || milliseconds != nil else { throw value.fail("'interval' needs flush_records or flush_ms") }
                configuration.log.flush = .interval(records: records, milliseconds: milliseconds)
            case let other: throw value.fail("must be never, every_append or interval, got '\(other)'")
            }
        }
    }

    private static func readScenario(_ node: ConfigNode, into configuration: inout PipelineConfiguration) throws(ConfigError) {
        var steps: [ScenarioStep] = []
        for item in try node.sequence() {
            let fields = try item.mapping(allowed: ["at_seconds", "action", "group"])
            guard let at = fields["at_seconds"], let action = fields["action"], let group = fields["group"] else {
                throw item.fail("needs at_seconds, action and group")
            }
            let actionName = try action.string()
            guard let parsedAction = ScenarioStep.Action(rawValue: actionName) else {
                throw action.fail("must be one of \(ScenarioStep.Action.allCases.map(\.rawValue).joined(separator: ", ")), got '\(actionName)'")
            }
            let groupName = try group.string()
            guard let parsedGroup = GroupName(rawValue: groupName) else {
                throw group.fail("must be fare, analytics or support, got '\(groupName)'")
            }
            steps.append(ScenarioStep(atSeconds: try at.int(0 ... ConfigLimits.durationSeconds.upperBound), action: parsedAction, group: parsedGroup, line: item.line))
        }
        configuration.scenario = steps.sorted { $0.atSeconds < $1.atSeconds }
    }

    /// Checks that need several values together; run again after command-line overrides.
    public static func validate(_ configuration: PipelineConfiguration, file: String) throws(ConfigError) {
        for (region, partitions) in configuration.regionPartitions.sorted(by: { $0.key < $1.key }) {
            let key = "topic.region_partitions.\(region)"
            guard configuration.regions.contains(where: { $0.name == region }) else {
                throw ConfigError(
                    file: file, line: nil, key: key,
                    problem: "names a region that is not in regions (\(configuration.regions.map(\.name).joined(separator: ", ")))"
                )
            }
            guard !partitions.isEmpty else { throw ConfigError(file: file, line: nil, key: key, problem: "needs at least one partition") }
            if let bad = partitions.first(where: { $0 >= configuration.partitions }) {
                throw ConfigError(
                    file: file, line: nil, key: key,
                    problem: "partition \(bad) does not exist: the topic has \(configuration.partitions) (0 ... \(configuration.partitions - 1))"
                )
            }
        }
        do {
            try TopicName.validate(configuration.topic)
        } catch {
            throw ConfigError(file: file, line: nil, key: "topic.name", problem: error.message)
        }
    }
}
