import Foundation
import TestSupport
import Testing

/// `groups` and `topics` on a stopped data directory, as a user reads them: Kafka's columns
/// (golden text), the same facts as JSON, a missing group as an error.
@Suite struct InspectCommandTests {
    /// A small seeded run: 40 drivers × 60 s over 3 partitions, every event stored.
    static func finishedRun(_ dir: TemporaryDirectory) async throws -> String {
        let data = dir.file("data")
        let run = try await CommandLineTests.run(
            ["simulate", "--config", CrashResumeTests.writeConfig(dir), "--drivers", "40", "--duration", "60", "--data-dir", data]
        )
        #expect(run.status == 0, "\(run.output)")
        return data
    }

    static func json(_ output: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]], "not a JSON array: \(output)")
    }

    @Test func groupsDescribeReadsLikeKafkaConsumerGroups() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary))
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let data = try await Self.finishedRun(dir)
        let described = try await CommandLineTests.run(["groups", "describe", "fare", "--data-dir", data])
        #expect(described.status == 0, "\(described.output)")
        let golden = """
            Consumer group 'fare' has no active members.
            GROUP  TOPIC             PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  CONSUMER-ID  HOST  CLIENT-ID  STORED
            fare   driver-locations          0             840             840    0  -            -     -             840
            fare   driver-locations          1             780             780    0  -            -     -             780
            fare   driver-locations          2             780             780    0  -            -     -             780

            """
        #expect(described.output.hasPrefix(golden), "\(described.output)")
        #expect(described.output.contains("  last rebalance: generation "), "\(described.output)")

        let state = try await CommandLineTests.run(["groups", "describe", "--state", "--data-dir", data])
        // A group's consumers normally join its first generation together; one that starts
        // more than the initial rebalance delay after the others (a loaded machine) makes a
        // second. Either way the columns line up as Kafka's tool prints them.
        let generations = state.output.split(separator: "\n").dropFirst().map { $0.split(separator: " ")[3] }
        #expect(generations.allSatisfy { $0 == "1" || $0 == "2" }, "\(state.output)")
        #expect(state.output == """
            GROUP      ASSIGNMENT-STRATEGY  STATE  GENERATION  #MEMBERS
            analytics  -                    Empty           \(generations.first ?? "?")         0
            fare       -                    Empty           \(generations.dropFirst().first ?? "?")         0
            support    -                    Empty           1         0

            """, "\(state.output)")
        let list = try await CommandLineTests.run(["groups", "--data-dir", data])
        #expect(list.output == """
            GROUP      STATE  MEMBERS  PARTITIONS  LAG  DATABASE
            analytics  Empty        0           3    0  analytics.sqlite
            fare       Empty        0           3    0  fare.sqlite
            support    Empty        0           3    0  support.sqlite

            """, "\(list.output)")

        let json = try Self.json(try await CommandLineTests.run(["groups", "describe", "--format", "json", "--data-dir", data]).output)
        #expect(json.map { $0["group"] as? String } == ["analytics", "fare", "support"])
        let fare = try #require(json.first { $0["group"] as? String == "fare" })
        #expect(fare["state"] as? String == "Empty" && fare["database"] as? String == "fare.sqlite")
        let offsets = try #require(fare["offsets"] as? [[String: Any]])
        #expect(offsets.map { $0["current_offset"] as? Int } == [840, 780, 780])
        #expect(offsets.map { $0["stored"] as? Int } == [840, 780, 780])
        #expect(offsets.allSatisfy { $0["lag"] as? Int == 0 && $0["consumer_id"] is NSNull })
    }

    @Test func aMissingGroupIsAnErrorNamingTheGroupsThere() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary))
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let data = try await Self.finishedRun(dir)
        let missing = try await CommandLineTests.run(["groups", "describe", "nosuch", "--data-dir", data])
        #expect(missing.status == 1)
        #expect(missing.output.contains("Consumer group 'nosuch' does not exist (groups: analytics, fare, support)"), "\(missing.output)")
        let both = try await CommandLineTests.run(["groups", "describe", "--members", "--state", "--data-dir", data])
        #expect(both.status == 64, "a usage error: \(both.output)")
        let format = try await CommandLineTests.run(["topics", "--format", "yaml", "--data-dir", data])
        #expect(format.status == 64 && format.output.contains("yaml"), "\(format.output)")
    }

    @Test func topicsDescribeShowsEverySettingWithItsSource() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary))
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let data = try await Self.finishedRun(dir)
        let described = try await CommandLineTests.run(["topics", "describe", "--data-dir", data])
        #expect(described.status == 0, "\(described.output)")
        let lines = described.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "topic driver-locations: 3 partitions, retention 7 d, segments of 256 MiB or 7 d", "\(described.output)")
        // The partitions: sizes and times are the run's own; the rest is fixed by the seed.
        let partitions = lines.dropFirst(2).prefix(3).map { $0.split(separator: " ").map(String.init) }
        #expect(partitions.map { [$0[0], $0[1], $0[2], $0[4], $0[5], $0[7]] } == [
            ["0", "0", "840", "1", "00000000000000000000.log", "clean"],
            ["1", "0", "780", "1", "00000000000000000000.log", "clean"],
            ["2", "0", "780", "1", "00000000000000000000.log", "clean"],
        ], "\(described.output)")
        #expect(Array(lines.dropFirst(5)).joined(separator: "\n") + "\n" == """
              config                  value                source
              retention.ms            604800000            DYNAMIC_TOPIC_CONFIG
              retention.bytes         -1                   DYNAMIC_TOPIC_CONFIG
              segment.bytes           268435456            DYNAMIC_TOPIC_CONFIG
              segment.ms              604800000            DYNAMIC_TOPIC_CONFIG
              max.message.bytes       1048588              STATIC_BROKER_CONFIG
              cleanup.policy          delete               DEFAULT_CONFIG
              compression.type        producer             DEFAULT_CONFIG
              message.timestamp.type  CreateTime           DEFAULT_CONFIG
              flush.messages          9223372036854775807  DEFAULT_CONFIG
              flush.ms                9223372036854775807  DEFAULT_CONFIG
              index.interval.bytes    4096                 DEFAULT_CONFIG

            """, "\(described.output)")
        let json = try Self.json(try await CommandLineTests.run(["topics", "describe", "--format", "json", "--data-dir", data]).output)
        let topic = try #require(json.first)
        #expect(topic["name"] as? String == "driver-locations" && topic["events"] as? Int == 2400)
        let configs = try #require(topic["configs"] as? [[String: Any]])
        #expect(configs.first { $0["name"] as? String == "max.message.bytes" }?["source"] as? String == "STATIC_BROKER_CONFIG")
        let list = try Self.json(try await CommandLineTests.run(["topics", "list", "--format", "json", "--data-dir", data]).output)
        #expect(list.count == 1 && (list[0]["partitions"] as? [Any])?.count == 3)
    }

    /// Every mode, planned then executed on a stopped directory; the plan never writes.
    @Test func resetOffsetsPlansEveryModeAndExecutesOnlyWhenAsked() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary))
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let data = try await Self.finishedRun(dir)
        func reset(_ arguments: [String]) async throws -> [Int] {
            let exit = try await CommandLineTests.run(["groups", "reset-offsets", "--group", "fare", "--data-dir", data, "--format", "json"] + arguments)
            #expect(exit.status == 0, "\(arguments): \(exit.output)")
            let plan = try #require(try JSONSerialization.jsonObject(with: Data(exit.output.utf8)) as? [String: Any], "\(exit.output)")
            #expect(plan["executed"] as? Bool == arguments.contains("--execute"))
            return (plan["rows"] as? [[String: Any]] ?? []).compactMap { $0["new_offset"] as? Int }
        }
        let committed = { () async throws -> [Int] in
            let json = try Self.json(try await CommandLineTests.run(["groups", "describe", "fare", "--format", "json", "--data-dir", data]).output)
            return (json.first?["offsets"] as? [[String: Any]] ?? []).compactMap { $0["current_offset"] as? Int }
        }
        #expect(try await reset(["--all-topics", "--to-earliest"]) == [0, 0, 0])
        #expect(try await committed() == [840, 780, 780], "a dry run changes nothing")
        #expect(try await reset(["--topic", "driver-locations", "--to-offset", "100", "--execute"]) == [100, 100, 100])
        #expect(try await committed() == [100, 100, 100])
        #expect(try await reset(["--topic", "driver-locations:0,2", "--shift-by", "-150"]) == [0, 0], "clamped at the log start")
        #expect(try await reset(["--topic", "driver-locations:1", "--shift-by", "50", "--execute"]) == [150])
        #expect(try await reset(["--all-topics", "--to-offset", "5000"]) == [840, 780, 780], "clamped at the log end")
        #expect(try await reset(["--all-topics", "--to-datetime", "2000-01-01T00:00:00Z"]) == [0, 0, 0])
        #expect(try await reset(["--all-topics", "--to-datetime", "2100-01-01T00:00:00.000+01:00"]) == [840, 780, 780])
        #expect(try await reset(["--all-topics", "--to-latest", "--execute"]) == [840, 780, 780])
        #expect(try await committed() == [840, 780, 780])
        #expect(try await reset(["--all-topics", "--to-earliest", "--dry-run"]) == [0, 0, 0])

        for (arguments, message) in [
            (["--topic", "nosuch", "--to-latest"], "topic 'nosuch' does not exist (topics: driver-locations)"),
            (["--topic", "driver-locations:7", "--to-latest"], "topic 'driver-locations' has no partition 7 (it has 3: 0 to 2)"),
            (["--all-topics", "--to-latest", "--to-earliest"], "give exactly one of --to-earliest"),
            (["--all-topics", "--to-datetime", "yesterday"], "--to-datetime yesterday: expected ISO 8601"),
            (["--topic", "driver-locations:x", "--to-latest"], "--topic driver-locations:x: expected a topic or topic:partition"),
            (["--to-latest"], "give --topic (one or more) or --all-topics"),
            (["--all-topics", "--to-latest", "--execute", "--dry-run"], "--dry-run and --execute contradict each other"),
        ] {
            let refused = try await CommandLineTests.run(["groups", "reset-offsets", "--group", "fare", "--data-dir", data] + arguments)
            #expect(refused.status != 0 && refused.output.contains(message), "\(arguments): \(refused.output)")
        }
        #expect(try await committed() == [840, 780, 780], "nothing refused was written")

        let deleted = try await CommandLineTests.run(["groups", "delete", "fare", "--data-dir", data])
        #expect(deleted.status == 0 && deleted.output.contains("Deletion of group 'fare' was successful."), "\(deleted.output)")
        #expect(try await committed().isEmpty, "its committed offsets are gone")
        let again = try await CommandLineTests.run(["groups", "delete", "fare", "--data-dir", data])
        #expect(again.status == 1 && again.output.contains("Consumer group 'fare' does not exist"), "\(again.output)")
    }

    /// The log's committed offsets are the databases' stored ones when a run's consumers have
    /// left, also where the members' own commits did not land (refused while their group
    /// rebalanced, or, here, rewound behind them): a run that finds nothing more to store
    /// still brings them back.
    @Test func aRunEndsWithItsGroupsCommittedOffsetsAtTheStoredOnes() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary))
        let dir = TemporaryDirectory("inspect")
        defer { dir.remove() }
        let data = try await Self.finishedRun(dir)
        let rewound = try await CommandLineTests.run(["groups", "reset-offsets", "--group", "fare", "--all-topics", "--to-earliest", "--execute", "--data-dir", data])
        #expect(rewound.status == 0, "\(rewound.output)")
        let offsets = { () async throws -> [(committed: Int?, stored: Int?)] in
            let json = try Self.json(try await CommandLineTests.run(["groups", "describe", "fare", "--format", "json", "--data-dir", data]).output)
            return (json.first?["offsets"] as? [[String: Any]] ?? []).map { ($0["current_offset"] as? Int, $0["stored"] as? Int) }
        }
        #expect(try await offsets().map(\.committed) == [0, 0, 0])
        let resumed = try await CommandLineTests.run(
            ["simulate", "--config", dir.file("test.yaml"), "--drivers", "40", "--duration", "60", "--data-dir", data, "--resume"]
        )
        #expect(resumed.status == 0, "\(resumed.output)")
        let after = try await offsets()
        #expect(after.map(\.committed) == [840, 780, 780], "\(after)")
        #expect(after.map(\.stored) == [840, 780, 780])
    }
}
