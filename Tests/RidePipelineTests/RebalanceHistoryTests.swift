import Foundation
import RideModel
@testable import RidePipeline
import SQLite
import TestSupport
import Testing

/// The rebalance history a group's database keeps: why each generation happened, in simulated
/// time, with the assignment as rows and a sentence a learner can read.
@Suite(.serialized) struct RebalanceHistoryTests {
    static let start: Int64 = 1_767_600_000_000

    static func context(at second: Int64?, _ events: [(String, ConsumerEvent.Kind, Int64)] = []) -> RebalanceContext {
        RebalanceContext(
            simulatedMs: second.map { start + $0 * 1000 }, startMs: start,
            events: events.map { ConsumerEvent(group: .fare, consumer: $0.0, kind: $0.1, simulatedMs: start + $0.2 * 1000) },
            sessionTimeoutMs: 3000
        )
    }

    // MARK: - The story, from the assignments

    @Test func theFirstGenerationFormsTheGroupAndNamesIdleConsumers() {
        let record = RebalanceRecord.make(
            generation: 1, previous: nil,
            assignment: ["analytics-1(a1b2c3)": [0, 1], "analytics-2(d4e5f6)": [2], "analytics-3(0a0b0c)": []], context: Self.context(at: nil)
        )
        #expect(record.causes == [.formed])
        #expect(record.assignment == ["analytics-1": [0, 1], "analytics-2": [2], "analytics-3": []])
        #expect(record.idle == ["analytics-3"])
        #expect(record.story == "Generation 1 formed the group: analytics-1 got partitions 0, 1, analytics-2 got partition 2; analytics-3 is idle (more consumers than partitions).")
    }

    @Test func aCrashedConsumersPartitionsGoToTheOthersAfterItsSessionExpires() {
        let record = RebalanceRecord.make(
            generation: 3, previous: ["fare-1": [0, 1, 2], "fare-2": [3, 4, 5]], assignment: ["fare-1(aaaaaa)": [5, 0, 1, 2, 3, 4]],
            context: Self.context(at: 304, [("fare-1", .added, 0), ("fare-2", .added, 0), ("fare-2", .crashed, 300)])
        )
        #expect(record.causes == [.sessionTimeout])
        #expect(record.runSecond == 304)
        #expect(record.moves == [3, 4, 5].map { RebalanceRecord.Move(partition: $0, from: "fare-2", to: "fare-1") })
        #expect(record.story == "fare-2 crashed at 300 s and stopped heartbeating; after 3 s without a heartbeat its session expired. Generation 3 (at 304 s) gave partitions 3, 4, 5 to fare-1.")
    }

    @Test func joiningAndLeavingMovePartitionsBetweenNamedConsumers() {
        let joined = RebalanceRecord.make(
            generation: 2, previous: ["support-1": [0, 1, 2, 3]], assignment: ["support-1(x)": [0, 1], "support-2(y)": [2, 3]],
            context: Self.context(at: 202, [("support-2", .added, 200)])
        )
        #expect(joined.causes == [.joined])
        #expect(joined.story == "support-2 joined at 200 s. Generation 2 (at 202 s) moved partitions 2, 3 from support-1 to support-2.")

        let left = RebalanceRecord.make(
            generation: 4, previous: ["a-1": [0], "a-2": [1], "a-3": [2]], assignment: ["a-1(x)": [0, 2], "a-2(y)": [1]],
            context: Self.context(at: 410, [("a-3", .removed, 400)])
        )
        #expect(left.causes == [.left])
        #expect(left.story == "a-3 left the group at 400 s. Generation 4 (at 410 s) gave partition 2 to a-1.")

        // A member gone without anything the run did to it (another process's consumer).
        let unknown = RebalanceRecord.make(
            generation: 5, previous: ["a-1": [0, 2], "b-1": [1]], assignment: ["a-1(x)": [0, 1, 2]], context: Self.context(at: nil)
        )
        #expect(unknown.causes == [.left])
        #expect(unknown.story == "b-1 dropped out (it left, or did not rejoin within the rebalance timeout). Generation 5 gave partition 1 to a-1.")

        // Only events since the previous generation explain this one: a consumer added at
        // the start that drops out and comes back did not "join at 0 s".
        let back = RebalanceRecord.make(
            generation: 3, previous: ["s-2": [0, 1]], previousMs: Self.start + 120_000, assignment: ["s-1(x)": [0], "s-2(y)": [1]],
            context: Self.context(at: 300, [("s-1", .added, 0), ("s-2", .added, 100)])
        )
        #expect(back.story == "s-1 joined. Generation 3 (at 300 s) moved partition 0 from s-2 to s-1.")
    }

    @Test func theSameMembersAgainAndSharedClientIDs() {
        let again = RebalanceRecord.make(
            generation: 6, previous: ["fare-1": [0, 1]], assignment: ["fare-1(x)": [0, 1]], context: Self.context(at: 50)
        )
        #expect(again.causes == [.rejoined])
        #expect(again.story == "the same members joined again. Generation 6 (at 50 s) moved no partition.")
        // Two processes that both named a consumer fare-1: their labels keep the member id.
        #expect(RebalanceRecord.named(["fare-1(aa)": [0], "fare-1(bb)": [1], "fare-2(cc)": []]) == ["fare-1(aa)": [0], "fare-1(bb)": [1], "fare-2": []])
        #expect(RebalanceRecord.format(3) == "3")
        #expect(RebalanceRecord.format(2.25) == "2.3")
    }

    // MARK: - A run records it

    @Test func aRunRecordsCausesInSimulatedTimeAndAssignmentsAsRows() async throws {
        let dir = TemporaryDirectory("rebalance-history")
        defer { dir.remove() }
        var configuration = PipelineRunTests.configuration(dir)
        configuration.durationSeconds = 300
        configuration.consumers = [.fare: 2, .analytics: 4, .support: 1]
        // Long enough that a loaded machine (the whole suite in parallel) does not expire a live
        // member's session too; the crashed one's expiry is waited for, 15 s.
        configuration.sessionTimeoutMs = 15_000
        configuration.scenario = [
            ScenarioStep(atSeconds: 100, action: .addConsumer, group: .support, line: 1),
            ScenarioStep(atSeconds: 150, action: .crashConsumer, group: .fare, line: 2),
        ]
        let summary = try await PipelineRunTests.run(configuration)

        // Read with the sqlite3 shell, as a learner would.
        let fare = dir.file("fare.sqlite")
        let timeline = try await sqlite3(fare, "SELECT cause || '|' || story FROM rebalance_timeline WHERE cause LIKE '%session timeout%'")
        #expect(timeline.count == 1, "\(timeline)")
        #expect(timeline.first?.contains("fare-2 crashed at 150 s and stopped heartbeating") == true, "\(timeline)")
        #expect(timeline.first?.contains("to fare-1") == true, "\(timeline)")
        let crash = #"(SELECT generation FROM rebalances WHERE cause = 'session timeout')"#
        #expect(try await sqlite3(fare, #"SELECT group_concat(consumer || ':' || "partition" || ':' || ifnull(previous_consumer, '-')) FROM (SELECT * FROM rebalance_assignments WHERE generation = \#(crash) ORDER BY "partition")"#)
            == ["fare-1:0:fare-1,fare-1:1:fare-1,fare-1:2:fare-2"])
        #expect(try await sqlite3(fare, "SELECT run_second >= 150 FROM rebalances WHERE generation = \(crash)") == ["1"])
        let last = #"(SELECT max(generation) FROM rebalances)"#

        let analytics = dir.file("analytics.sqlite")
        #expect(try await sqlite3(analytics, #"SELECT count(*) FROM rebalance_assignments WHERE generation = \#(last) AND "partition" IS NULL"#) == ["1"])
        // (On a loaded machine support-1 may miss that rebalance and come back in the next.)
        let support = try await sqlite3(dir.file("support.sqlite"), "SELECT story FROM rebalance_timeline WHERE cause LIKE '%joined%'")
        #expect(support.contains { $0.contains("support-2 joined at 100 s") }, "\(support)")

        // Every batch carries the simulated time of its last event.
        let range = try await sqlite3(fare, "SELECT count(*) FILTER (WHERE last_event_ms IS NULL), min(last_event_ms) >= \(Self.start), max(last_event_ms) < \(Self.start + 300_000) FROM batches")
        #expect(range == ["0|1|1"])
        #expect(summary.groups["fare"]?.timeline.contains { $0.cause == "session timeout" } == true)
        #expect(summary.text(topic: "driver-locations").contains("rebalance: fare-2 crashed at 150 s"))
    }

    /// The same run twice, eager (`sticky`) and cooperative (`cooperative-sticky`): a consumer
    /// added to analytics at 100 s and one removed at 200 s. `member_rebalances` compares them
    /// with one query: eagerly the members revoke everything at each rebalance, cooperatively
    /// only the partitions that moved; the business rows are the same.
    @Test func eagerAndCooperativeRunsCompareWithSQL() async throws {
        var revokedTotal: [String: Int] = [:]
        var rounds: [String: [String]] = [:]
        var business: [String: [String]] = [:]
        for assignor in ["sticky", "cooperative-sticky"] {
            let dir = TemporaryDirectory("rebalance-\(assignor)")
            defer { dir.remove() }
            var configuration = PipelineRunTests.configuration(dir, partitions: 6)
            configuration.durationSeconds = 300
            configuration.consumers = [.fare: 1, .analytics: 2, .support: 1]
            configuration.assignor = assignor
            configuration.scenario = [
                ScenarioStep(atSeconds: 100, action: .addConsumer, group: .analytics, line: 1),
                ScenarioStep(atSeconds: 200, action: .removeConsumer, group: .analytics, line: 2),
            ]
            _ = try await PipelineRunTests.run(configuration)
            let analytics = dir.file("analytics.sqlite")
            let expected = assignor == "sticky" ? "eager" : "cooperative"
            #expect(try await sqlite3(analytics, "SELECT DISTINCT protocol FROM member_rebalances") == [expected])
            let revoked = try await sqlite3(analytics, "SELECT sum(revoked) FROM member_rebalances")
            revokedTotal[assignor] = Int(revoked.first ?? "") ?? -1
            rounds[assignor] = try await sqlite3(analytics, "SELECT generation, consumer, revoked_partitions, assigned_partitions, owned_partitions, run_second FROM member_rebalances ORDER BY id")
            // How many rebalances end before the run does depends on the machine; what each
            // protocol does at every one of them does not.
            if assignor == "sticky" {
                // Eagerly a round revokes everything the member owned before it.
                let partial = try await sqlite3(analytics, "SELECT count(*) FROM (SELECT revoked_partitions AS r, lag(owned_partitions) OVER (PARTITION BY consumer ORDER BY id) AS p FROM member_rebalances) WHERE r != ifnull(p, '')")
                #expect(partial == ["0"], "\(rounds)")
            } else {
                // Cooperatively nothing kept is revoked: a round revokes only what it does not own after.
                let overlap = try await sqlite3(analytics, "SELECT count(*) FROM member_rebalances m, json_each('[' || m.revoked_partitions || ']') r WHERE ',' || m.owned_partitions || ',' LIKE '%,' || r.value || ',%'")
                #expect(overlap == ["0"], "\(rounds)")
            }
            business[assignor] = try await RebuildTests.businessRows(dir.path)
        }
        // Eagerly every rebalance revokes all six partitions, cooperatively at most the moved ones.
        #expect((revokedTotal["cooperative-sticky"] ?? 99) < (revokedTotal["sticky"] ?? 0), "\(revokedTotal) \(rounds)")
        #expect(business["sticky"] == business["cooperative-sticky"], "the same rows either way")
    }

    /// Rows the `sqlite3` shell prints for `sql` (columns joined by "|").
    func sqlite3(_ path: String, _ sql: String) async throws -> [String] {
        let exit = try await ChildProcess("/usr/bin/sqlite3", [path, sql], errors: .separate).exit()
        #expect(exit.status == 0, "\(exit.errors)")
        return exit.output.split(separator: "\n").map(String.init)
    }
}
