import Foundation
@testable import RidePipeline
import SQLite
import TestSupport
import Testing

/// `bench pipeline`'s ceiling does the pipeline's SQLite work: its replayed files hold the
/// business rows a real run of the same seed stores, read back by the `sqlite3` shell.
@Suite struct SQLiteCeilingTests {
    /// Each group's business rows in an order no batching changes.
    static let queries: [GroupName: [String]] = [
        .fare: ["SELECT * FROM trips ORDER BY trip_id", "SELECT count(*) FROM open_trips"],
        .analytics: [
            #"SELECT event_id, driver_id, region, "partition", "offset", lat, lon, speed_kmh, status, trip_id, milestone, surge, ts FROM location_events ORDER BY event_id"#,
            "SELECT * FROM region_minute_stats ORDER BY region, minute",
        ],
        .support: [
            "SELECT * FROM driver_status ORDER BY driver_id",
            "SELECT * FROM trip_timeline ORDER BY trip_id, milestone",
            "SELECT kind, driver_id, trip_id, event_id, ts, detail FROM incidents ORDER BY event_id, kind",
        ],
    ]

    func sqlite3(_ path: String, _ sql: String) async throws -> [String] {
        let exit = try await ChildProcess("/usr/bin/sqlite3", ["-readonly", path, sql], errors: .separate).exit()
        #expect(exit.status == 0, "\(exit.errors)")
        return exit.output.split(separator: "\n").map(String.init)
    }

    @Test func replayedFilesHoldTheRowsOfARealRun() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "the sqlite3 shell is needed (apt-get install sqlite3)")
        let dir = TemporaryDirectory("ceiling")
        let runDirectory = TemporaryDirectory("ceiling-run")
        defer {
            dir.remove()
            runDirectory.remove()
        }
        var configuration = PipelineRunTests.configuration(runDirectory)
        configuration.durationSeconds = 300
        configuration.scenario = []
        let summary = try await PipelineRunTests.run(configuration)

        let ceiling = SQLiteCeiling(configuration: configuration)
        let workload = try await ceiling.record()
        #expect(workload.events == summary.eventsProduced)
        #expect(workload.bytes > workload.events * 100)
        let timing = try await ceiling.measure(workload, directory: dir.file("ceiling"))
        #expect(timing.oneThreadPerFile > 0 && timing.oneThreadForAll > 0)

        var compared = 0
        for group in GroupName.allCases {
            let run = configuration.dataDirectory + "/" + group.databaseFile
            for way in ["per-file", "one-thread"] {
                let replayed = dir.file("ceiling/\(way)/\(group.databaseFile)")
                for query in Self.queries[group]! {
                    let expected = try await sqlite3(run, query)
                    #expect(try await sqlite3(replayed, query) == expected, "\(group) \(way): \(query)")
                    compared += expected.count
                }
                let offsets = #"SELECT "partition", next_offset FROM consumer_offsets ORDER BY 1"#
                #expect(try await sqlite3(replayed, offsets) == (try await sqlite3(run, offsets)), "\(group) \(way)")
                // Full batches: as few transactions as the batch size allows.
                let batches = try await sqlite3(replayed, "SELECT count(*), sum(events), max(events) FROM batches")
                #expect(batches.first?.hasSuffix("|\(summary.eventsProduced)|\(configuration.batchSize)") == true, "\(batches)")
            }
        }
        #expect(compared > summary.eventsProduced)
    }
}
