#if KafkaCluster
import Foundation
import KafkaCluster
import RidePipeline
import SQLite
import TestSupport
import Testing

/// Cluster mode: the pipeline on a Kafka-protocol cluster (here `ridestream broker serve`,
/// through librdkafka) stores exactly the business rows an embedded run of the same seed
/// stores, through consumers added, crashed and removed on the way — the cluster's consumers
/// rebalancing cooperatively (librdkafka's cooperative-sticky), the embedded ones eagerly.
@Suite(.serialized) struct ClusterModeTests {
    static func configuration(_ dir: TemporaryDirectory) throws -> PipelineConfiguration {
        let path = dir.file("cluster.yaml")
        let yaml = """
            simulation: { drivers: 300, duration_seconds: 400, seed: 31 }
            topic: { partitions: 4 }
            groups: { fare: { consumers: 2 }, analytics: { consumers: 2 }, support: { consumers: 1 } }
            consumer: { batch_size: 1000, linger_ms: 20 }
            scenario:
              - { at_seconds: 100, action: add_consumer, group: fare }
              - { at_seconds: 200, action: crash_consumer, group: analytics }
              - { at_seconds: 300, action: remove_consumer, group: fare }
            """
        FileDamage.write(path, Array(yaml.utf8))
        return try ConfigLoader.load(path: path)
    }

    @Test func aRunOnAKafkaClusterStoresTheRowsOfAnEmbeddedRun() async throws {
        let server = try await InteropServer.start(["--initial-rebalance-delay-ms", "0"])
        let dir = TemporaryDirectory("cluster-mode")
        defer { dir.remove() }
        var options = RunOptions()
        options.showProgress = false

        var onCluster = try Self.configuration(dir)
        onCluster.dataDirectory = dir.file("cluster")
        onCluster.brokerMode = .kafka(KafkaSettings(bootstrapServers: server.bootstrap))
        onCluster.assignor = "cooperative-sticky"
        let clusterRun = try await PipelineRunner(configuration: onCluster, options: options).run()
        // Each member recorded its rounds; librdkafka tells no generation. Cooperatively a
        // member never revokes a partition it goes on owning.
        let rounds = try CrashResumeTests.rows(
            dir.file("cluster/fare.sqlite"),
            "SELECT protocol || '|' || ifnull(generation, '-') || '|' || revoked_partitions || '|' || owned_partitions FROM member_rebalances"
        )
        #expect(!rounds.isEmpty)
        for round in rounds {
            let fields = round.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            #expect(fields[0] == "cooperative" && fields[1] == "-", "\(round)")
            let revoked = Set(fields[2].split(separator: ",")), owned = Set(fields[3].split(separator: ","))
            #expect(revoked.isDisjoint(with: owned), "\(rounds)")
        }

        var embedded = try Self.configuration(dir)
        embedded.dataDirectory = dir.file("embedded")
        let embeddedRun = try await PipelineRunner(configuration: embedded, options: options).run()

        #expect(clusterRun.eventsProduced == embeddedRun.eventsProduced)
        #expect(clusterRun.eventsPerPartition == embeddedRun.eventsPerPartition, "every event in the partition the built-in broker put it in")
        #expect(clusterRun.scenario.count == 3)
        for (file, sql) in CrashResumeTests.businessQueries {
            let expected = try CrashResumeTests.rows(dir.file("embedded/\(file)"), sql)
            #expect(!expected.isEmpty, "\(file): \(sql)")
            #expect(try CrashResumeTests.rows(dir.file("cluster/\(file)"), sql) == expected, "\(file): \(sql)")
        }
        // The consumers mirrored their progress into the cluster's committed offsets.
        let fareCommitted = try Self.committedOffsets(server: server, group: "fare", partitions: 4)
        #expect(fareCommitted == clusterRun.eventsPerPartition.map(Int64.init))

        // A second run on the same topic would produce the same events again: refused.
        onCluster.dataDirectory = dir.file("again")
        let again = await #expect(throws: (any Error).self) {
            try await PipelineRunner(configuration: onCluster, options: options).run()
        }
        #expect("\(again.map { "\($0)" } ?? "")".contains("already holds \(clusterRun.eventsProduced) events"))
        #expect(await server.stop() == 0)
    }

    /// The roles as separate processes: `produce`, and two `consume` processes of the fare
    /// group, one of which is killed with SIGKILL mid-run (after it has stored batches) and
    /// started again. Every offset is written exactly once, the partitions move between the
    /// processes, and the trips are those of an embedded run of the same seed.
    @Test func rolesInSeparateProcessesSurviveAKilledConsumer() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CrashResumeTests.binary), "build the executable first")
        let server = try await InteropServer.start(["--initial-rebalance-delay-ms", "0"])
        let dir = TemporaryDirectory("roles")
        defer { dir.remove() }
        let config = dir.file("roles.yaml")
        FileDamage.write(config, Array("""
            simulation: { drivers: 300, duration_seconds: 600, seed: 47 }
            topic: { partitions: 4 }
            consumer: { batch_size: 500, linger_ms: 20 }
            scenario: []
            """.utf8))
        let shared = ["--config", config, "--bootstrap", server.bootstrap, "--data-dir", dir.file("roles")]
        let consume = ["consume"] + shared + ["--group", "fare", "--exit-when-idle", "4"]
        let fare = dir.file("roles/fare.sqlite")
        let first = try CrashResumeTests.launch(consume)
        let second = try CrashResumeTests.launch(consume)
        let producer = try CrashResumeTests.launch(["produce"] + shared)
        let firstName = ":\(first.pid)-"
        #expect(await first.signal(SIGKILL, when: { Self.batchCount(fare, writtenBy: firstName) >= 2 }), "\(first.output.suffix(2000))")
        #expect(await first.exit().signalled)
        let restarted = try CrashResumeTests.launch(consume)
        let produced = await producer.exit()
        #expect(produced.status == 0, "\(produced.output.suffix(2000))")
        for process in [second, restarted] {
            let exit = await process.exit()
            #expect(exit.status == 0, "\(exit.output.suffix(2000))")
            #expect(exit.output.contains("lag 0"), "\(exit.output.suffix(2000))")
        }

        // Every offset of every partition written once, in order, up to the log end.
        let batches = try CrashResumeTests.rows(fare, #"SELECT "partition" || ' ' || first_offset || ' ' || last_offset || ' ' || consumer FROM batches ORDER BY "partition", first_offset"#)
        var next: [Int: Int64] = [:]
        var writers: [Int: Set<String>] = [:]
        for row in batches {
            let fields = row.split(separator: " ").map(String.init)
            let partition = Int(fields[0])!
            #expect(Int64(fields[1])! == next[partition] ?? 0, "partition \(partition): batch \(row) does not follow offset \(next[partition] ?? 0)")
            next[partition] = Int64(fields[2])! + 1
            writers[partition, default: []].insert(fields[3])
        }
        let marks = try (0 ..< 4).map { try KafkaAdminClient(settings: KafkaSettings(bootstrapServers: server.bootstrap)).watermarks("driver-locations", partition: Int32($0)).high }
        #expect((0 ..< 4).map { next[$0] ?? 0 } == marks, "stored up to the log end")
        #expect(writers.values.flatMap { $0 }.contains { $0.contains(firstName) }, "the killed process wrote before it died")
        #expect(writers.values.contains { $0.count >= 2 }, "a partition moved between processes")

        var reference = try ConfigLoader.load(path: config)
        reference.dataDirectory = dir.file("reference")
        var options = RunOptions()
        options.showProgress = false
        _ = try await PipelineRunner(configuration: reference, options: options).run()
        let trips = CrashResumeTests.businessQueries[0]
        let expected = try CrashResumeTests.rows(dir.file("reference/fare.sqlite"), trips.1)
        #expect(!expected.isEmpty)
        #expect(try CrashResumeTests.rows(fare, trips.1) == expected)
        #expect(await server.stop() == 0)
    }

    /// Batches stored by consumers whose name contains `writer`.
    static func batchCount(_ path: String, writtenBy writer: String) -> Int64 {
        guard FileManager.default.fileExists(atPath: path), let database = try? Database(path: path, create: false, readOnly: true) else { return 0 }
        return (try? database.scalar("SELECT count(*) FROM batches WHERE instr(consumer, '\(writer)') > 0")) ?? 0
    }

    @Test func aClusterThatCannotBeReachedOrAskedWronglyFailsClearly() async throws {
        let dir = TemporaryDirectory("cluster-mode-bad")
        defer { dir.remove() }
        var options = RunOptions()
        options.showProgress = false
        var configuration = try Self.configuration(dir)
        configuration.dataDirectory = dir.file("out")
        configuration.brokerMode = .kafka(KafkaSettings(bootstrapServers: "127.0.0.1:9", properties: ["no.such.setting": "x"]))
        let error = await #expect(throws: (any Error).self) {
            try await PipelineRunner(configuration: configuration, options: options).run()
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("no.such.setting=x"))
    }

    /// The group's committed offsets, read without joining it.
    static func committedOffsets(server: InteropServer, group: String, partitions: Int) throws -> [Int64] {
        let ids = (0 ..< partitions).map { KafkaTopicPartition("driver-locations", Int32($0)) }
        let committed = try KafkaConsumerClient.committedOffsets(settings: KafkaSettings(bootstrapServers: server.bootstrap), group: group, partitions: ids)
        return ids.map { committed[$0] ?? -1 }
    }
}
#endif
