#if KafkaCluster
import Foundation
import KafkaCluster
import RidePipeline
import SQLite
import TestSupport
import Testing

/// Cluster mode: the pipeline on a Kafka-protocol cluster (here `ridestream broker serve`,
/// through librdkafka) stores exactly the business rows an embedded run of the same seed
/// stores, through consumers added, crashed and removed on the way.
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
        let server = try InteropServer(["--initial-rebalance-delay-ms", "0"])
        defer { #expect(server.stop() == 0) }
        let dir = TemporaryDirectory("cluster-mode")
        defer { dir.remove() }
        var options = RunOptions()
        options.showProgress = false

        var onCluster = try Self.configuration(dir)
        onCluster.dataDirectory = dir.file("cluster")
        onCluster.brokerMode = .kafka(KafkaSettings(bootstrapServers: server.bootstrap))
        let clusterRun = try await PipelineRunner(configuration: onCluster, options: options, output: { _ in }).run()

        var embedded = try Self.configuration(dir)
        embedded.dataDirectory = dir.file("embedded")
        let embeddedRun = try await PipelineRunner(configuration: embedded, options: options, output: { _ in }).run()

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
            try await PipelineRunner(configuration: configuration, options: options, output: { _ in }).run()
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
