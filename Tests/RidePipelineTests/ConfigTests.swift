import Foundation
import RidePipeline
import TestSupport
import Testing

@Suite struct ConfigTests {
    @Test func theShippedConfigLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let configuration = try ConfigLoader.load(path: root.appendingPathComponent("Config/ridestream.yaml").path)
        #expect(configuration.partitions == 6)
        #expect(configuration.regions.count == 6)
        #expect(configuration.consumers[.analytics] == 3)
        #expect(configuration.scenario.count == 3)
    }

    static func error(_ yaml: String) -> ConfigError? {
        #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml, file: "test.yaml") }
    }

    @Test func missingFileIsNamed() {
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: "/nonexistent/ridestream.yaml") }
        #expect(error?.description == "/nonexistent/ridestream.yaml: no such file")
    }

    @Test func syntaxErrorsGiveTheLine() {
        let error = Self.error("simulation:\n  drivers: 10\n  seed: [1, 2\n")
        #expect(error?.line != nil)
        #expect(error?.description.contains("YAML syntax error") == true)
    }

    /// YAML 1.1 base-60 numbers are refused, never converted: an overflowing one trapped
    /// inside the YAML library (the loader's fuzzer found this input).
    @Test func baseSixtyNumbersAreRefusedNotConverted() {
        let overflowing = Self.error("simulation:\n  drivers: 6246\n  start_time_ms: 17671111110:100000000:4:7771124885:9165:9168\n")
        #expect(overflowing?.key == "simulation.start_time_ms")
        #expect(overflowing?.problem.contains("must be a whole number, got '17671111110:100000000:4:7771124885:9165:9168'") == true, "\(String(describing: overflowing))")
        let small = Self.error("simulation:\n  duration_seconds: 1:30\n")
        #expect(small?.key == "simulation.duration_seconds" && small?.problem.contains("must be a whole number") == true)
        let fraction = Self.error("fare:\n  base: 1:30.5\n")
        #expect(fraction?.problem.contains("must be a number") == true, "\(String(describing: fraction))")
    }

    /// Complex mapping keys are refused before the YAML library sees them: it compares them
    /// recursively to find duplicates, in time exponential in their nesting (the loader's
    /// fuzzer found 6.6 KB of nested `? ` keys that held it for 28 s).
    @Test(arguments: [
        ("simulation:\n  drivers: 10\n? - ? ? - a\n: 1\n", 3),
        ("simulation: { drivers: 10 }\n{a: 1}: 2\n", 2),
        ("topic:\n  - [a, b]  : c\n", 2),
        ("fare: {? [x]: 1}\n", 1),
        // Other line breaks than LF end lines too (CR LF counts once).
        ("simulation:\r\n  drivers: 10\r? ? ? a\r: 1\r", 3),
        ("simulation:\u{2028}? ? a\u{2028}: 1\n", 2),
        // '?' inside a flow collection needs no blank after it.
        ("topic: {?[[a]], ?[[b]]}\n", 1),
        // A quote inside a plain scalar starts nothing.
        ("data_dir: Data/it's\n? [a]\n: 1\n", 2),
    ])
    func complexKeysAreRefusedWithTheirLine(text: String, line: Int) {
        let error = Self.error(text)
        #expect(error?.line == line, "\(String(describing: error))")
        #expect(error?.problem.contains("complex mapping key") == true, "\(String(describing: error))")
    }

    /// Anchors and aliases are refused: an alias can stand for a key of 2^40 nodes.
    @Test func anchorsAndAliasesAreRefused() {
        let error = Self.error("a: &p [x, a]\ntopic: {*p : 1}\n")
        #expect(error?.line == 1 && error?.problem.contains("anchor or alias") == true, "\(String(describing: error))")
    }

    /// What only looks like a complex key is not one: inside quotes or comments, or mid-scalar.
    @Test func quotedTextAndCommentsAreNotComplexKeys() throws {
        let text = """
            # ? a comment with a ? question [x]: and brackets
            data_dir: "Data/what? [x]: {y}: ? z"   # ? here too
            fare:
              base: 2.5
            """
        #expect(try ConfigLoader.parse(text, file: "test.yaml").dataDirectory == "Data/what? [x]: {y}: ? z")
        #expect(try ConfigLoader.parse("data_dir: 'Data/it''s ? [x]: ok'\n", file: "test.yaml").dataDirectory == "Data/it's ? [x]: ok")
        #expect(try ConfigLoader.parse("data_dir: Data/why? not\n", file: "test.yaml").dataDirectory == "Data/why? not")
        #expect(try ConfigLoader.parse("data_dir: /srv/o'neil/rides  # don't use [kafka]: here\n", file: "test.yaml").dataDirectory == "/srv/o'neil/rides")
        #expect(try ConfigLoader.parse("data_dir: kafka-1:9092,[::1]:9092\n", file: "test.yaml").dataDirectory == "kafka-1:9092,[::1]:9092")
        #expect(try ConfigLoader.parse("data_dir: a*b&c\r\nfare: { base: 2.5 }\r\n", file: "test.yaml").dataDirectory == "a*b&c")
    }

    @Test func unknownKeysAreRefusedWithTheirPath() {
        let error = Self.error("simulation:\n  drivers: 10\n  drivres: 20\n")
        #expect(error?.key == "simulation.drivres")
        #expect(error?.line == 3)
        #expect(error?.problem.contains("unknown key") == true)
    }

    @Test(arguments: [
        ("simulation:\n  drivers: lots\n", "simulation.drivers", "must be a whole number"),
        ("simulation:\n  drivers: -5\n", "simulation.drivers", "between 1 and"),
        ("topic:\n  partitions: 0\n", "topic.partitions", "between 1 and"),
        ("groups:\n  fare: { consumers: -1 }\n", "groups.fare.consumers", "between 1 and"),
        ("groups:\n  billing: { consumers: 1 }\n", "groups.billing", "unknown key"),
        ("simulation:\n  realtime: maybe\n", "simulation.realtime", "true or false"),
        ("consumer:\n  assignor: fastest\n", "consumer.assignor", "range, roundrobin, sticky, cooperative-sticky"),
        ("topic:\n  name: \"bad name\"\n", "topic.name", "are allowed"),
        ("scenario:\n  - { at_seconds: 5, action: explode, group: fare }\n", "scenario[0].action", "must be one of"),
        ("broker:\n  mode: cluster\n", "broker.mode", "must be embedded or kafka"),
        ("broker:\n  mode: kafka\n", "broker.mode", "needs broker.bootstrap_servers"),
        ("broker:\n  client_properties: { group.id: mine }\n", "broker.client_properties.group.id", "set by RideStream itself"),
        ("broker:\n  replication_factor: 0\n", "broker.replication_factor", "between 1 and"),
    ])
    func impossibleValuesNameKeyAndProblem(yaml: String, key: String, problem: String) {
        let error = Self.error(yaml)
        #expect(error?.key == key, "\(error?.description ?? "no error")")
        #expect(error?.problem.contains(problem) == true, "\(error?.description ?? "no error")")
    }

    @Test func regionTableMustNameKnownRegionsAndExistingPartitions() {
        let unknown = Self.error("topic:\n  partitions: 3\n  region_partitions:\n    atlantis: [0]\n")
        #expect(unknown?.key == "topic.region_partitions.atlantis")
        #expect(unknown?.problem.contains("not in regions") == true)
        let missing = Self.error("topic:\n  partitions: 3\n  region_partitions:\n    hebbal: [1, 3]\n")
        #expect(missing?.problem.contains("partition 3 does not exist") == true)
    }

    @Test func defaultSpreadCoversEveryPartition() {
        var configuration = PipelineConfiguration()
        configuration.partitions = 12
        let table = configuration.partitionTable
        #expect(Set(table.values.flatMap { $0 }) == Set(0 ..< 12))
        #expect(table["koramangala"] == [0, 6])
        configuration.partitions = 4
        #expect(Set(configuration.partitionTable.values.flatMap { $0 }) == Set(0 ..< 4))
        #expect(configuration.partitionTable["hebbal"] == [0])
    }
}
