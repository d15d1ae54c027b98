import Foundation
import RidePipeline
import SQLite
import TestSupport
import Testing

/// The `ridestream` executable, killed and interrupted for real.
@Suite(.serialized) struct CrashResumeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var binary: String { root.appendingPathComponent(".build/debug/ridestream").path }

    static func writeConfig(_ dir: TemporaryDirectory) -> String {
        let path = dir.file("test.yaml")
        let yaml = """
            simulation: { drivers: 300, duration_seconds: 500, seed: 23 }
            topic: { partitions: 3 }
            groups: { fare: { consumers: 2 }, analytics: { consumers: 2 }, support: { consumers: 1 } }
            consumer: { batch_size: 1000, linger_ms: 20 }
            scenario: []
            """
        FileDamage.write(path, Array(yaml.utf8))
        return path
    }

    static func launch(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(binary, arguments)
    }

    /// The uninterrupted run of the configuration at `config`, in process, into `path`.
    static func referenceRun(_ config: String, in path: String) async throws -> RunSummary {
        var configuration = try ConfigLoader.load(path: config)
        configuration.dataDirectory = path
        var options = RunOptions()
        options.showProgress = false
        return try await PipelineRunner(configuration: configuration, options: options).run()
    }

    static func storedEvents(_ path: String) -> Int64 {
        guard FileManager.default.fileExists(atPath: path), let database = try? Database(path: path, create: false, readOnly: true) else { return 0 }
        return (try? database.scalar("SELECT count(*) FROM location_events")) ?? 0
    }

    static let businessQueries = [
        ("fare.sqlite", "SELECT trip_id || driver_id || started_at || ended_at || distance_km || fare FROM trips ORDER BY trip_id"),
        ("analytics.sqlite", "SELECT event_id || lat || lon || status || ts FROM location_events ORDER BY event_id"),
        ("analytics.sqlite", "SELECT region || minute || events || active_drivers || speed_tenths || trips_started || trips_completed FROM region_minute_stats ORDER BY region, minute"),
        ("support.sqlite", "SELECT driver_id || lat || lon || status || last_event_id FROM driver_status ORDER BY driver_id"),
        ("support.sqlite", "SELECT trip_id || milestone || event_id FROM trip_timeline ORDER BY trip_id, milestone"),
        ("support.sqlite", "SELECT kind || driver_id || event_id || detail FROM incidents ORDER BY event_id, kind"),
    ]

    static func rows(_ path: String, _ sql: String) throws -> [String] {
        let statement = try Database(path: path, create: false, readOnly: true).prepare(sql)
        var result: [String] = []
        while try statement.step() { result.append(statement.string(0) ?? "NULL") }
        return result
    }

    @Test func killNineMidRunThenResumeEndsWithTheRowsOfAnUninterruptedRun() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the executable first: \(Self.binary)")
        let dir = TemporaryDirectory("crash")
        defer { dir.remove() }
        let config = Self.writeConfig(dir)
        let crashed = dir.file("crashed")
        let first = try Self.launch(["simulate", "--config", config, "--data-dir", crashed])
        let killed = await first.signal(SIGKILL, when: { Self.storedEvents(crashed + "/analytics.sqlite") >= 5_000 })
        let firstExit = await first.exit()
        #expect(killed && firstExit.signalled, "the run was still going when it was killed: \(firstExit.output.suffix(2000))")

        let second = try await Self.launch(["simulate", "--config", config, "--data-dir", crashed, "--resume"]).exit()
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("resuming: the log already holds"))

        let reference = try await Self.referenceRun(config, in: dir.file("reference"))
        #expect(Self.storedEvents(crashed + "/analytics.sqlite") == Int64(reference.eventsProduced))
        for (file, sql) in Self.businessQueries {
            let expected = try Self.rows(dir.file("reference/\(file)"), sql)
            #expect(!expected.isEmpty)
            #expect(try Self.rows(crashed + "/" + file, sql) == expected, "\(file): \(sql)")
        }
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func diskFullStopsTheRunAndResumeAfterFreeingSpaceEndsWithTheRowsOfAnUninterruptedRun() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the executable first: \(Self.binary)")
        let dir = TemporaryDirectory("diskfull")
        defer { dir.remove() }
        let config = Self.writeConfig(dir)
        let disk = try #require(SmallDisk.mount(bytes: 12 << 20))
        defer { disk.unmount() }
        let data = disk.file("data")
        let full = try await Self.launch(["simulate", "--config", config, "--data-dir", data]).exit()
        #expect(full.status != 0 && !full.signalled, "\(full.output.suffix(2000))")
        #expect(full.output.contains("No space left on device") || full.output.contains("database or disk is full"), "\(full.output.suffix(2000))")
        #expect(full.output.contains("once there is room, `ridestream simulate --resume`"), "\(full.output.suffix(2000))")

        disk.grow(to: 512 << 20)
        let resumed = try await Self.launch(["simulate", "--config", config, "--data-dir", data, "--resume"]).exit()
        #expect(resumed.status == 0, "\(resumed.output.suffix(3000))")

        let reference = try await Self.referenceRun(config, in: dir.file("reference"))
        #expect(Self.storedEvents(data + "/analytics.sqlite") == Int64(reference.eventsProduced))
        for (file, sql) in Self.businessQueries {
            let expected = try Self.rows(dir.file("reference/\(file)"), sql)
            #expect(try Self.rows(data + "/" + file, sql) == expected, "\(file): \(sql)")
        }
    }

    /// Killed before or while the topic is created: nothing or a whole topic is left, and the
    /// resume ends with the rows of an uninterrupted run.
    @Test func killedInItsFirstMillisecondsThenResumeEndsWithTheRowsOfAnUninterruptedRun() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the executable first: \(Self.binary)")
        let dir = TemporaryDirectory("early-kill")
        defer { dir.remove() }
        let config = Self.writeConfig(dir)
        _ = try await Self.referenceRun(config, in: dir.file("reference"))
        for delay in [3, 15, 40] {
            let data = dir.file("killed-\(delay)")
            let first = try Self.launch(["simulate", "--config", config, "--data-dir", data])
            try await Task.sleep(for: .milliseconds(delay))
            kill(first.process.processIdentifier, SIGKILL)
            _ = await first.exit()
            guard FileManager.default.fileExists(atPath: data) else { continue }  // killed before it took the directory
            let resumed = try await Self.launch(["simulate", "--config", config, "--data-dir", data, "--resume"]).exit()
            #expect(resumed.status == 0, "killed after \(delay) ms: \(resumed.output.suffix(2000))")
            for (file, sql) in Self.businessQueries {
                #expect(try Self.rows(data + "/" + file, sql) == Self.rows(dir.file("reference/\(file)"), sql), "killed after \(delay) ms: \(file)")
            }
        }
    }

    @Test func interruptStopsGracefullyWithEverythingProducedStored() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the executable first: \(Self.binary)")
        let dir = TemporaryDirectory("interrupt")
        defer { dir.remove() }
        let config = Self.writeConfig(dir)
        let data = dir.file("data")
        let summaryPath = dir.file("summary.json")
        let process = try Self.launch(["simulate", "--config", config, "--data-dir", data, "--json-summary", summaryPath])
        #expect(await process.signal(SIGINT, when: { Self.storedEvents(data + "/analytics.sqlite") >= 2_000 }))
        let exit = await process.exit()
        #expect(exit.status == 0 && !exit.signalled, "\(exit.output)")
        #expect(exit.output.contains("stopped early"))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as! [String: Any]
        let produced = summary["events_produced"] as! Int
        #expect(produced < 300 * 500)
        #expect(Self.storedEvents(data + "/analytics.sqlite") == Int64(produced))
    }

    @Test func badConfigurationExitsWithCodeTwoAndWritesNothing() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the executable first: \(Self.binary)")
        let dir = TemporaryDirectory("badconfig")
        defer { dir.remove() }
        let config = dir.file("bad.yaml")
        FileDamage.write(config, Array("topic:\n  partitions: 0\n".utf8))
        let bad = try await Self.launch(["simulate", "--config", config, "--data-dir", dir.file("data")]).exit()
        #expect(bad.status == 2)
        #expect(bad.output.contains("\(config):2: topic.partitions: must be between 1 and 1000, got 0"), "\(bad.output)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("data")))
        let missing = try await Self.launch(["simulate", "--config", dir.file("absent.yaml")]).exit()
        #expect(missing.status == 2)
        #expect(missing.output.contains("absent.yaml: no such file"), "\(missing.output)")
        let override = try await Self.launch(["simulate", "--config", Self.writeConfig(dir), "--consumers", "fare=0", "--data-dir", dir.file("data")]).exit()
        #expect(override.status == 2)
        #expect(override.output.contains("--consumers"), "\(override.output)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("data")))
    }
}
