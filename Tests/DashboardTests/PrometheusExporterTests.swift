@testable import Dashboard
import Foundation
import Hummingbird
import Logging
import RidePipeline
import ServiceLifecycle
import SQLite
import Synchronization
import TestSupport
import Testing

/// `/metrics`: kafka_exporter's gauges from a view of topics and groups, the run's own
/// counters and histogram from swift-metrics, and the HTTP port's errors.
@Suite struct PrometheusExporterTests {
    static func view(partitions: Int32) -> ClusterView {
        var view = ClusterView()
        view.partitions = (0 ..< partitions).map { ClusterView.Partition(topic: "rides", partition: $0, oldestOffset: 10 * Int64($0), currentOffset: 100 + Int64($0)) }
        view.groups = [ClusterView.Group(name: "fare", members: 2, committed: [ClusterView.Committed(topic: "rides", partition: 0, offset: 90)])]
        view.sinkTopic = "rides"
        view.stored = ["fare": [0: 95]]
        return view
    }

    /// 40 drivers for two minutes over 3 partitions, no scenario.
    static func smallRun(_ dir: TemporaryDirectory, consumers: [GroupName: Int]) -> PipelineConfiguration {
        var configuration = PipelineConfiguration()
        configuration.drivers = 40
        configuration.durationSeconds = 120
        configuration.partitions = 3
        configuration.consumers = consumers
        configuration.scenario = []
        configuration.dataDirectory = dir.path
        configuration.batchSize = 400
        // Long sessions: a loaded machine must not expire a member and change the counts.
        configuration.sessionTimeoutMs = 30_000
        return configuration
    }

    static var quiet: RunOptions {
        var options = RunOptions()
        options.showProgress = false
        return options
    }

    static func samples(_ text: String) -> [String] { text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") } }

    @Test func gaugesUseKafkaExportersNamesAndGoneSeriesAreDropped() {
        let exporter = PrometheusExporter()
        let text = String(decoding: exporter.scrape(Self.view(partitions: 2)), as: UTF8.self)
        let samples = Set(Self.samples(text))
        for expected in [
            #"kafka_topic_partitions{topic="rides"} 2.0"#,
            #"kafka_topic_partition_current_offset{topic="rides",partition="1"} 101.0"#,
            #"kafka_topic_partition_oldest_offset{topic="rides",partition="1"} 10.0"#,
            #"kafka_consumergroup_members{consumergroup="fare"} 2.0"#,
            #"kafka_consumergroup_current_offset{consumergroup="fare",topic="rides",partition="0"} 90.0"#,
            #"kafka_consumergroup_lag{consumergroup="fare",topic="rides",partition="0"} 10.0"#,
            #"ridestream_sink_stored_offset{consumergroup="fare",topic="rides",partition="0"} 95.0"#,
            #"ridestream_sink_lag{consumergroup="fare",topic="rides",partition="0"} 5.0"#,
            #"ridestream_sink_lag{consumergroup="fare",topic="rides",partition="1"} 101.0"#,
        ] {
            #expect(samples.contains(expected), "missing \(expected) in\n\(text)")
        }
        #expect(text.contains("# TYPE kafka_consumergroup_lag gauge"))

        let shrunk = String(decoding: exporter.scrape(Self.view(partitions: 1)), as: UTF8.self)
        #expect(!shrunk.contains(#"partition="1""#), "\(shrunk)")
        #expect(Self.samples(shrunk).contains(#"kafka_topic_partitions{topic="rides"} 1.0"#))
    }

    /// Two scrapes overlap and the older view is the slower: it must not set gauges back.
    @Test func anOlderViewNeverOverwritesANewerOne() {
        let exporter = PrometheusExporter()
        let older = exporter.ticket()
        let newer = exporter.ticket()
        var ahead = Self.view(partitions: 1)
        ahead.partitions[0].currentOffset = 500
        _ = exporter.scrape(ahead, ticket: newer)
        let text = String(decoding: exporter.scrape(Self.view(partitions: 1), ticket: older), as: UTF8.self)
        #expect(Self.samples(text).contains(#"kafka_topic_partition_current_offset{topic="rides",partition="0"} 500.0"#), "\(text)")
    }

    @Test func aRunRecordsItsTransactionsRowsAndCommitTimes() async throws {
        let dir = TemporaryDirectory("run-metrics")
        defer { dir.remove() }
        let configuration = Self.smallRun(dir, consumers: [.fare: 1, .analytics: 2, .support: 1])
        let exporter = PrometheusExporter()
        var options = Self.quiet
        options.metrics = exporter.runMetrics
        let summary = try await PipelineRunner(configuration: configuration, options: options).run()
        let samples = Self.samples(String(decoding: exporter.scrape(nil), as: UTF8.self))
        func sample(_ prefix: String) -> Double? {
            samples.first { $0.hasPrefix(prefix + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        #expect(sample("ridestream_events_produced_total") == Double(summary.eventsProduced))
        for group in GroupName.allCases {
            let label = #"{consumergroup="\#(group.rawValue)"}"#
            let database = try Database(path: dir.file(group.databaseFile), create: false, readOnly: true)
            let transactions = try #require(try database.scalar("SELECT count(*) FROM batches"))
            #expect(sample("ridestream_sink_transactions_total" + label) == Double(transactions), "\(group)")
            #expect(sample("ridestream_sink_events_total" + label) == Double(summary.eventsProduced), "\(group)")
            #expect(sample("ridestream_sink_commit_seconds_count" + label) == Double(transactions), "\(group)")
            let rows = try #require(summary.groups[group.rawValue])
            #expect(sample("ridestream_sink_transactions_total" + label) == Double(rows.transactions))
            #expect(sample("ridestream_rebalances_total" + label) == Double(rows.timeline.count), "\(group)")
        }
    }

    /// Watches a live run until every group has stored every event, as a scrape would see it.
    struct Watcher: Service {
        let run: LiveRun
        let record: @Sendable (ClusterView) -> Void

        func run() async throws {
            while !Task.isCancelled {
                let view = await ClusterView.read(run)
                let ends = Dictionary(uniqueKeysWithValues: view.partitions.map { ($0.partition, $0.currentOffset) })
                if run.state.snapshot.phase != .producing, run.state.snapshot.phase != .starting,
                   GroupName.allCases.allSatisfy({ view.stored[$0.rawValue] == ends }) {
                    record(view)
                    return
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    @Test func aLiveRunsViewIsWhatItsDatabasesAndLogSay() async throws {
        let dir = TemporaryDirectory("live-view")
        defer { dir.remove() }
        let configuration = Self.smallRun(dir, consumers: [.fare: 2, .analytics: 4, .support: 1])
        let options = Self.quiet
        let seen = Mutex<ClusterView?>(nil)
        let summary = try await PipelineRunner(configuration: configuration, options: options, observers: { [Watcher(run: $0) { view in seen.withLock { $0 = view } }] }).run()
        let view = try #require(seen.withLock { $0 })
        #expect(view.partitions.map(\.currentOffset) == summary.eventsPerPartition.map(Int64.init))
        #expect(view.partitions.allSatisfy { $0.oldestOffset == 0 && $0.topic == configuration.topic })
        for group in GroupName.allCases {
            let database = try Database(path: dir.file(group.databaseFile), create: false, readOnly: true)
            let statement = try database.prepare(#"SELECT "partition", next_offset FROM consumer_offsets"#)
            var stored: [Int32: Int64] = [:]
            while try statement.step() { stored[Int32(statement.int(0))] = statement.int(1) }
            #expect(view.stored[group.rawValue] == stored, "\(group)")
            let members = try #require(view.groups.first { $0.name == group.rawValue }).members
            #expect(members == configuration.consumers[group], "\(group)")
        }
        // The idle analytics consumer (4 over 3 partitions) is a member all the same.
        let scraped = Set(Self.samples(String(decoding: PrometheusExporter().scrape(view), as: UTF8.self)))
        #expect(scraped.contains(#"kafka_consumergroup_members{consumergroup="analytics"} 4.0"#))
        #expect(scraped.contains(#"ridestream_sink_lag{consumergroup="fare",topic="\#(configuration.topic)",partition="2"} 0.0"#))
    }

    @Test func aPortInUseIsRefusedNamingThePortAndTheFlag() async throws {
        let first = try await HTTPEndpoint.start(Router(), host: "127.0.0.1", port: 0, flag: "--metrics-port", logger: Logger(label: "test"))
        let error = await #expect(throws: HTTPEndpointError.self) {
            _ = try await HTTPEndpoint.start(Router(), host: "127.0.0.1", port: first.port, flag: "--metrics-port", logger: Logger(label: "test"))
        }
        #expect(error?.description == "port \(first.port) on 127.0.0.1 is in use; choose another with --metrics-port (0 picks a free one)")
        await first.stop()
    }
}
