import Foundation
@testable import RidePipeline
import SQLite
import TestSupport
import Testing

/// `report --json`'s data: what a finished run's databases say, and lag over time rebuilt from
/// each transaction's production time.
@Suite struct RunReportTests {
    @Test func aRunsReportAgreesWithItsDatabasesAndItsLagEndsAtZero() async throws {
        let dir = TemporaryDirectory("run-report")
        defer { dir.remove() }
        var configuration = PipelineConfiguration()
        configuration.drivers = 60
        configuration.durationSeconds = 300
        configuration.partitions = 3
        configuration.consumers = [.fare: 2, .analytics: 1, .support: 1]
        configuration.scenario = [ScenarioStep(atSeconds: 100, action: .addConsumer, group: .fare)]
        configuration.dataDirectory = dir.path
        configuration.batchSize = 300
        configuration.speed = 200  // a second and a half, so the commits spread over the run
        configuration.sessionTimeoutMs = 30_000  // a loaded machine must not expire members and add generations
        var options = RunOptions()
        options.showProgress = false
        let summary = try await PipelineRunner(configuration: configuration, options: options).run()

        let report = try DataDirectoryInspector(dataDirectory: dir.path).runReport()
        #expect(report.startMs == configuration.startTime)
        #expect(report.eventsPerPartition.map(Int.init) == summary.eventsPerPartition)
        let fare = try Database(path: dir.file("fare.sqlite"), create: false, readOnly: true)
        #expect(Int64(report.tripsByRegion.reduce(0) { $0 + $1.trips }) == (try fare.scalar("SELECT count(*) FROM trips")))
        let analytics = try Database(path: dir.file("analytics.sqlite"), create: false, readOnly: true)
        #expect(Int64(report.regionMinutes.reduce(0) { $0 + $1.events }) == (try analytics.scalar("SELECT count(*) FROM location_events")))
        #expect(report.groups.map(\.name) == GroupName.allCases.map(\.rawValue))
        for group in report.groups {
            let stored = try #require(summary.groups[group.name])
            #expect(group.events == summary.eventsProduced, "\(group.name)")
            #expect(group.transactions == stored.transactions, "\(group.name)")
            #expect(group.timeline == stored.timeline, "\(group.name)")
            #expect(!group.lag.isEmpty && group.lag.count <= RunReport.lagPoints, "\(group.name)")
            #expect(group.lag.last?.lag == 0 && group.lag.last?.secondsBehind == 0, "caught up at the end: \(group.lag.suffix(3))")
            #expect(zip(group.lag, group.lag.dropFirst()).allSatisfy { $0.second <= $1.second }, "\(group.name)")
            #expect(group.lag.allSatisfy { (0 ... 300).contains($0.second) && ($0.lag ?? -1) >= 0 }, "\(group.name)")
            #expect(group.lag.contains { ($0.lag ?? 0) > 0 }, "a group lags while it batches: \(group.name)")
        }
        let joined = try #require(report.groups.first { $0.name == "fare" }?.timeline.first { $0.assignment["fare-3"] != nil })
        #expect(joined.cause.components(separatedBy: ", ").contains("joined") && joined.moves.contains { $0.to == "fare-3" }, "\(joined)")

        // A file of version 3 (no produced_ms) and one of version 1 (no history, no gaps, no
        // last_event_ms) are reported as they are: no lag series, no timeline, no failure.
        let old = try Database(path: dir.file("fare.sqlite"))
        try old.execute("ALTER TABLE batches DROP COLUMN produced_ms; PRAGMA user_version = 3;")
        let support = try Database(path: dir.file("support.sqlite"))
        try support.execute(
            "ALTER TABLE batches DROP COLUMN produced_ms; ALTER TABLE batches DROP COLUMN last_event_ms; DROP VIEW rebalance_timeline; "
                + "DROP TABLE rebalance_assignments; DROP TABLE log_gaps; PRAGMA user_version = 1;"
        )
        let older = try DataDirectoryInspector(dataDirectory: dir.path).runReport()
        let byName = Dictionary(uniqueKeysWithValues: older.groups.map { ($0.name, $0) })
        #expect(byName["fare"]?.lag == [] && byName["fare"]?.timeline.isEmpty == false && byName["fare"]?.events == summary.eventsProduced)
        #expect(byName["support"]?.lag == [] && byName["support"]?.timeline == [] && byName["support"]?.events == summary.eventsProduced)
        #expect(byName["analytics"]?.lag.isEmpty == false)
    }
}
