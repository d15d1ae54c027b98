@testable import Dashboard
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RidePipeline
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

/// The dashboard's API on a real run: its snapshot says what the run has, the control
/// actions change the run and are refused with a reason (400) when they cannot apply, the
/// tail reads the log; and the lag history stays bounded.
@Suite struct DashboardTests {
    @Test func aLagHistoryStaysBoundedAndSpansTheWholeRun() {
        var history = LagHistory(capacity: 100)
        for second in 0 ..< 9_999 { history.append(second: Double(second), lag: Int64(second), secondsBehind: nil) }
        history.append(second: 9_999, lag: 0, secondsBehind: 0, keep: true)
        let series = history.series
        #expect(series.count <= 100 && series.count >= 50, "\(series.count)")
        #expect(series.second.first == 0)
        #expect(series.second.last == 9_999 && series.lag.last == 0, "the final state is kept")
        #expect(zip(series.second, series.second.dropFirst()).allSatisfy { $0 < $1 })
        #expect(series.lag.count == series.count && series.secondsBehind.count == series.count)
    }

    /// Waits on a run from a service: hands the test its `LiveRun`, then lives as long as the run.
    struct Hook: Service {
        let live: LiveRun
        let dashboard: Dashboard

        func run() async throws {
            dashboard.watch(live)
        }
    }

    static let control: HTTPFields = [DashboardRoutes.controlHeader: "1"]

    static func data(_ body: ByteBuffer) -> Data { Data(body.readableBytesView) }

    static func json(_ body: ByteBuffer) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: data(body)) as? [String: Any])
    }

    @Test func theAPIShowsTheRunAndItsControlsChangeItOrSayWhyNot() async throws {
        let dir = TemporaryDirectory("dashboard-api")
        defer { dir.remove() }
        var configuration = PrometheusExporterTests.smallRun(dir, consumers: [.fare: 2, .analytics: 4, .support: 1])
        configuration.durationSeconds = 3_600
        configuration.speed = 20  // three minutes of wall time at most: the test stops it when done
        let (drivers, regions) = (configuration.drivers, configuration.regions.count)
        let dashboard = Dashboard(interval: .milliseconds(50))
        let runner = PipelineRunner(configuration: configuration, options: PrometheusExporterTests.quiet, observers: { [Hook(live: $0, dashboard: dashboard)] })
        let running = Task { try await runner.run() }
        let router = Router()
        DashboardRoutes.add(to: router, dashboard: dashboard)
        let application = Application(router: router)
        try await application.test(.router) { client in
            #expect(await eventually(timeoutMs: 90_000) { dashboard.latest?.groups.allSatisfy { $0.stable && !$0.consumers.isEmpty } == true && dashboard.latest?.map != nil })
            try await client.execute(uri: "/api/snapshot", method: .get) { response in
                #expect(response.status == .ok)
                let snapshot = try Dashboard.decoder().decode(DashboardSnapshot.self, from: Self.data(response.body))
                #expect(snapshot.partitions.map(\.partition) == [0, 1, 2])
                #expect(snapshot.groups.map(\.name) == ["analytics", "fare", "support"])
                #expect(snapshot.regions.count == regions)
                #expect(snapshot.map?.lat.count == drivers)
                let analytics = try #require(snapshot.groups.first { $0.name == "analytics" })
                #expect(analytics.consumers.filter(\.idle).count == 1, "4 consumers over 3 partitions: one idle")
            }
            for (uri, problem) in [
                ("/api/groups/nosuch/add", "no group 'nosuch' in this run; its groups are analytics, fare, support"),
                ("/api/groups/fare/explode", "no action 'explode'; the actions are add, remove and crash"),
                ("/api/groups/fare/crash?consumer=fare-9", "group fare has no consumer 'fare-9'; its consumers are fare-1, fare-2"),
                ("/api/groups/support/remove", "support has one running consumer left; without it nobody would store the group's events"),
            ] {
                try await client.execute(uri: uri, method: .post, headers: Self.control) { response in
                    #expect(response.status == .badRequest, "\(uri)")
                    let body = try Self.json(response.body)
                    #expect(body["error"] as? String == problem, "\(uri)")
                }
            }
            try await client.execute(uri: "/api/groups/fare/add", method: .post) { response in
                #expect(response.status == .forbidden, "a control POST without the header (another site's page) is refused")
            }
            try await client.execute(uri: "/api/groups/fare/add", method: .post, headers: Self.control) { response in
                #expect(response.status == .ok)
                let body = try Self.json(response.body)
                #expect(body["done"] as? String == "added fare-3")
            }
            #expect(await eventually(timeoutMs: 60_000) {
                dashboard.latest?.groups.first { $0.name == "fare" }?.timeline.contains { $0.cause.contains("joined") && $0.moves.contains { $0.to == "fare-3" } } == true
            }, "the timeline shows fare-3 joining")
            // Three removals at once: the group keeps one consumer, whatever the interleaving.
            let live = try #require(dashboard.run)
            let removed = await withTaskGroup(of: Bool.self) { tasks in
                for name in ["fare-1", "fare-2", "fare-3"] {
                    tasks.addTask { (try? await live.control(group: "fare", action: "remove", consumer: name)) != nil }
                }
                return await tasks.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(removed == 2, "two of three concurrent removals; the last running consumer stays")
            try await client.execute(uri: "/api/partitions/7/tail", method: .get) { response in
                #expect(response.status == .badRequest)
                let body = try Self.json(response.body)
                #expect(body["error"] as? String == "no partition '7' of driver-locations is shown: its partitions are 0, 1, 2")
            }
            try await client.execute(uri: "/api/partitions/1/tail?limit=5", method: .get) { response in
                #expect(response.status == .ok)
                let records = try JSONDecoder().decode([StoredRecord].self, from: Self.data(response.body))
                #expect(records.count == 5)
                #expect(zip(records, records.dropFirst()).allSatisfy { $0.offset + 1 == $1.offset })
                #expect(records.allSatisfy { $0.value?.hasPrefix(#"{"eventId":""#) == true })
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#"<script src="/dashboard.js""#))
            }
        }
        await runner.stop()
        let summary = try await running.value
        #expect(summary.scenario.contains { $0.hasSuffix("(dashboard): added fare-3") }, "\(summary.scenario)")
        let fare = try #require(summary.groups["fare"])
        #expect(fare.consumers.map(\.id) == ["fare-1", "fare-2", "fare-3"])
        #expect(fare.consumers.filter { $0.state == .running }.count == 1)
        #expect(fare.events == summary.eventsProduced, "the one left stored every event")
        let joined = try #require(fare.timeline.last { $0.cause.contains("joined") })
        #expect(joined.story.contains("fare-3"), "\(joined.story)")
        #expect(joined.moves.contains { $0.to == "fare-3" }, "\(joined.moves)")
        await dashboard.close()
    }
}

/// The report's inline SVG charts: what they draw, and that no text escapes into markup.
@Suite struct SVGChartTests {
    @Test func linesCountTheirPointsAndSkipMissingValues() {
        let svg = SVGChart.lines("lag", x: [0, 1, 2, 3], lines: [.init(name: "fare", values: [1, nil, 3, 4]), .init(name: "a<b", values: [0, 0, 0, 0])])
        #expect(svg.hasPrefix(#"<svg class="chart" data-marks="7""#))
        #expect(svg.components(separatedBy: "<polyline").count == 3)
        #expect(svg.contains("a&lt;b") && !svg.contains("a<b"))
    }

    @Test func barsDrawOneRectanglePerLabelAndEscapeLabels() {
        let svg = SVGChart.bars("trips", labels: ["koramangala", "\"quoted\" & <tagged>"], values: [10, 25])
        #expect(svg.contains(#"data-marks="2""#))
        #expect(svg.components(separatedBy: "<rect x=").count - 1 == 2)
        #expect(svg.contains("&quot;quoted&quot; &amp; &lt;tagged&gt;"))
        #expect(!svg.contains("<tagged>"))
        // A quote with a combining accent is one Character but still a quote for HTML.
        #expect(SVGChart.escape("x\u{22}\u{301} onmouseover=alert(1)") == "x&quot;\u{301} onmouseover=alert(1)")
    }

    @Test func axesRoundUpToAStep() {
        #expect(SVGChart.scale(0) == (1, 1))
        #expect(SVGChart.scale(930) == (1000, 500))
        #expect(SVGChart.scale(12_345) == (15_000, 5000))
        #expect(SVGChart.number(1_234_567) == "1.2M" && SVGChart.number(12_345) == "12k" && SVGChart.number(12.34) == "12.3")
    }
}
