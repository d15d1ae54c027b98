import Foundation
import RideModel
import RidePipeline
import SQLite
import TestSupport
import Testing

/// Seeded end-to-end runs of the whole pipeline in a temporary data directory.
@Suite(.serialized) struct PipelineRunTests {
    static func configuration(_ dir: TemporaryDirectory, seed: UInt64 = 11, partitions: Int = 3) -> PipelineConfiguration {
        var configuration = PipelineConfiguration()
        configuration.drivers = 60
        configuration.durationSeconds = 420
        configuration.seed = seed
        configuration.partitions = partitions
        configuration.consumers = [.fare: 2, .analytics: 4, .support: 1]
        configuration.dataDirectory = dir.path
        configuration.batchSize = 500
        configuration.lingerMs = 20
        // Assignments are what these tests check: a session long enough that a busy machine
        // (tests run in parallel on two cores) never expires one and moves partitions.
        configuration.sessionTimeoutMs = 30_000
        return configuration
    }

    static func run(_ configuration: PipelineConfiguration, fresh: Bool = true) async throws -> RunSummary {
        var options = RunOptions()
        options.showProgress = false
        options.fresh = fresh
        return try await PipelineRunner(configuration: configuration, options: options).run()
    }

    static func rows(_ path: String, _ sql: String) throws -> [String] {
        let database = try Database(path: path, create: false, readOnly: true)
        let statement = try database.prepare(sql)
        var result: [String] = []
        while try statement.step() { result.append(statement.string(0) ?? "NULL") }
        return result
    }

    static func count(_ path: String, _ sql: String) throws -> Int64 {
        try Database(path: path, create: false, readOnly: true).scalar(sql) ?? -1
    }

    @Test func everyEventExactlyOnceOffsetsAtLogEndAndIdleConsumersIdle() async throws {
        let dir = TemporaryDirectory("pipeline")
        defer { dir.remove() }
        let configuration = Self.configuration(dir)
        let summary = try await Self.run(configuration)
        #expect(summary.eventsProduced == 60 * 420)
        #expect(summary.eventsPerPartition.reduce(0, +) == summary.eventsProduced)

        let analytics = dir.file("analytics.sqlite")
        #expect(try Self.count(analytics, "SELECT count(*) FROM location_events") == Int64(summary.eventsProduced))
        #expect(try Self.count(analytics, "SELECT count(DISTINCT event_id) FROM location_events") == Int64(summary.eventsProduced))
        for group in GroupName.allCases {
            let path = dir.file(group.databaseFile)
            for (partition, end) in summary.eventsPerPartition.enumerated() {
                let stored = try Self.count(path, #"SELECT next_offset FROM consumer_offsets WHERE "partition" = \#(partition)"#)
                #expect(stored == Int64(end), "\(group) partition \(partition)")
            }
            #expect(summary.groups[group.rawValue]?.events == summary.eventsProduced)
        }
        // 4 analytics consumers over 3 partitions: one is idle, owns nothing, commits nothing.
        let consumers = summary.groups["analytics"]!.consumers
        let idle = consumers.filter(\.idle)
        #expect(idle.count == 1)
        #expect(idle.first?.partitions.isEmpty == true)
        #expect(idle.first?.transactions == 0)
        #expect(try Self.count(analytics, "SELECT count(*) FROM batches WHERE consumer = '\(idle.first!.id)'") == 0)
        // Range assignment of 3 partitions to 2 fare consumers: [0, 1] and [2].
        #expect(Set(summary.groups["fare"]!.consumers.map(\.partitions)) == [[0, 1], [2]])
        #expect(Set(summary.groups["support"]!.consumers.map(\.partitions)) == [[0, 1, 2]])
    }

    /// Six partitions and four consumers: range gives contiguous runs (2, 2, 1, 1), round-robin
    /// deals partitions in turn, both in member order; twelve partitions spread each region
    /// over two.
    @Test(arguments: [
        ("range", 6, ["fare-1": [0, 1], "fare-2": [2, 3], "fare-3": [4], "fare-4": [5]]),
        ("roundrobin", 6, ["fare-1": [0, 4], "fare-2": [1, 5], "fare-3": [2], "fare-4": [3]]),
        ("range", 12, ["fare-1": [0, 1, 2], "fare-2": [3, 4, 5], "fare-3": [6, 7, 8], "fare-4": [9, 10, 11]]),
    ])
    func partitionAndConsumerCountsShapeTheAssignment(assignor: String, partitions: Int, expected: [String: [Int]]) async throws {
        let dir = TemporaryDirectory("pipeline")
        defer { dir.remove() }
        var configuration = Self.configuration(dir, partitions: partitions)
        configuration.durationSeconds = 120
        configuration.consumers = [.fare: 4, .analytics: 1, .support: 1]
        configuration.assignor = assignor
        let summary = try await Self.run(configuration)
        let actual = Dictionary(uniqueKeysWithValues: summary.groups["fare"]!.consumers.map { ($0.id, $0.partitions) })
        #expect(actual == expected)
        #expect(summary.eventsPerPartition.allSatisfy { $0 > 0 }, "every partition carries traffic")
        #expect(summary.groups["analytics"]!.consumers[0].partitions == Array(0 ..< partitions))
    }

    @Test func faresMatchAnIndependentRecomputationFromTheRawEvents() async throws {
        let dir = TemporaryDirectory("pipeline")
        defer { dir.remove() }
        let configuration = Self.configuration(dir)
        _ = try await Self.run(configuration)

        // Recompute from the simulator's own events, without the broker or the databases.
        var simulator = Simulator(settings: configuration.simulatorSettings)
        var open: [String: (start: LocationEvent, distance: Double, last: GeoPoint, lastMs: Int64)] = [:]
        var expected: [String: Double] = [:]
        for _ in 0 ..< configuration.durationSeconds {
            for event in simulator.step() where event.status == .onTrip {
                guard let trip = event.tripId else { continue }
                if event.milestone == .pickup {
                    open[trip] = (event, 0, event.position, event.ts)
                    continue
                }
                guard var state = open[trip] else { continue }
                FareMeter.advance(&state.distance, last: &state.last, lastMs: &state.lastMs, to: event.position, at: event.ts)
                open[trip] = state
                if event.milestone == .dropoff {
                    expected[trip] = configuration.tariff.fare(
                        distanceKm: state.distance, durationSeconds: Double(event.ts - state.start.ts) / 1000, surge: state.start.surge
                    )
                    open[trip] = nil
                }
            }
        }
        #expect(expected.count > 20, "the run completes trips")
        let fare = dir.file("fare.sqlite")
        let stored = try Self.rows(fare, "SELECT trip_id || '=' || printf('%.2f', fare) FROM trips ORDER BY trip_id")
        #expect(stored.count == expected.count, "one row per completed trip")
        #expect(stored == expected.keys.sorted().map { "\($0)=\(String(format: "%.2f", expected[$0]!))" })
        #expect(try Self.count(fare, "SELECT count(*) FROM open_trips") == Int64(open.count), "trips still running are kept open")
    }

    @Test func sameSeedGivesIdenticalBusinessRows() async throws {
        let first = TemporaryDirectory("pipeline")
        let second = TemporaryDirectory("pipeline")
        defer {
            first.remove()
            second.remove()
        }
        _ = try await Self.run(Self.configuration(first, seed: 5))
        var other = Self.configuration(second, seed: 5)
        other.consumers = [.fare: 1, .analytics: 2, .support: 3]  // different consumers, same business rows
        _ = try await Self.run(other)
        let queries = [
            ("fare.sqlite", "SELECT trip_id || driver_id || started_at || ended_at || distance_km || fare FROM trips ORDER BY trip_id"),
            ("analytics.sqlite", "SELECT event_id || lat || lon || status FROM location_events ORDER BY event_id"),
            ("analytics.sqlite", "SELECT region || minute || events || active_drivers || trips_started || trips_completed FROM region_minute_stats ORDER BY region, minute"),
            ("support.sqlite", "SELECT driver_id || lat || lon || status || last_event_id FROM driver_status ORDER BY driver_id"),
            ("support.sqlite", "SELECT kind || driver_id || event_id FROM incidents ORDER BY event_id, kind"),
        ]
        for (file, sql) in queries {
            let a = try Self.rows(first.file(file), sql)
            #expect(!a.isEmpty, "\(file): \(sql)")
            #expect(a == (try Self.rows(second.file(file), sql)), "\(file): \(sql)")
        }
    }

    @Test func theSqlite3ShellReadsTheFiles() async throws {
        let dir = TemporaryDirectory("pipeline")
        defer { dir.remove() }
        var configuration = Self.configuration(dir)
        configuration.durationSeconds = 60
        let summary = try await Self.run(configuration)
        let sql = #"SELECT count(*) FROM location_events; SELECT count(*) FROM batches WHERE "partition" = 0; PRAGMA integrity_check;"#
        let shell = try await ChildProcess("/usr/bin/sqlite3", [dir.file("analytics.sqlite"), sql], errors: .separate).exit()
        let lines = shell.output.split(separator: "\n")
        #expect(shell.status == 0, "\(shell.errors)")
        #expect(lines.first.map(String.init) == String(summary.eventsProduced))
        #expect(lines.last == "ok")
    }

    @Test func badDataDirectoriesFailClearlyAndTouchNothing() async throws {
        let dir = TemporaryDirectory("pipeline")
        defer { dir.remove() }
        FileDamage.write(dir.file("plain-file"), [1, 2, 3])
        var unwritable = Self.configuration(dir)
        unwritable.dataDirectory = dir.file("plain-file") + "/data"
        let error = await #expect(throws: PipelineError.self) { try await Self.run(unwritable) }
        #expect(error?.description.contains("cannot create the data directory") == true)

        // A database of another schema version is left untouched.
        let configuration = Self.configuration(dir)
        let foreign = try Database(path: dir.file("fare.sqlite"))
        try foreign.execute("CREATE TABLE mine (x); INSERT INTO mine VALUES (42); PRAGMA application_id = 1380533317; PRAGMA user_version = 99;")
        let before = try Data(contentsOf: URL(fileURLWithPath: dir.file("fare.sqlite")))
        let versionError = await #expect(throws: PipelineError.self) { try await Self.run(configuration, fresh: false) }
        #expect(versionError?.description.contains("schema version 99") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("fare.sqlite"))) == before)
    }
}
