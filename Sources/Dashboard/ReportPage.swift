import Foundation
import RidePipeline

/// `ridestream report --html FILE`: one self-contained HTML file for a finished run (no
/// script, no network: the style is inline and every chart inline SVG from `SVGChart`):
/// events per region per minute, trips and fares by region, each group's lag over time in
/// events and seconds behind, events against transactions, the rebalance timeline and the
/// incidents by kind.
public enum ReportPage {
    public static func html(_ report: RunReport) -> String {
        let e = SVGChart.escape
        var sections: [String] = []

        let regions = Array(Set(report.regionMinutes.map(\.region))).sorted()
        let minutes = Array(Set(report.regionMinutes.map(\.minute))).sorted()
        let minuteIndex = Dictionary(uniqueKeysWithValues: minutes.enumerated().map { ($0.element, $0.offset) })
        let perRegion = regions.map { region in
            var values = [Double?](repeating: nil, count: minutes.count)
            for row in report.regionMinutes where row.region == region { values[minuteIndex[row.minute]!] = Double(row.events) }
            return SVGChart.Line(name: region, values: values)
        }
        sections.append(section("Events per region per minute", "Each region's events land in its partition(s); analytics counts them per simulated minute.",
            SVGChart.lines("events per region per minute", x: minutes.indices.map(Double.init), lines: perRegion, xLabels: minutes.map { String($0.suffix(5)) })))

        let trips = report.tripsByRegion
        sections.append(section("Trips and fares by region", "Completed trips the fare group priced, and what they earned.",
            SVGChart.bars("completed trips by region", labels: trips.map(\.region), values: trips.map { Double($0.trips) })
                + SVGChart.bars("revenue by region", labels: trips.map(\.region), values: trips.map(\.revenue)) { String(format: "%.0f", $0) }))

        let lagLines = report.groups.map { group in (group.name, group.lag) }
        let lagX = Array(Set(lagLines.flatMap { $0.1.map(\.second) })).sorted()
        func series(_ pick: (RunReport.LagPoint) -> Double?) -> [SVGChart.Line] {
            lagLines.map { name, points in
                let bySecond = Dictionary(points.map { ($0.second, pick($0)) }, uniquingKeysWith: { _, last in last })
                return SVGChart.Line(name: name, values: lagX.map { bySecond[$0] ?? nil })
            }
        }
        let lagText = lagX.isEmpty
            ? "<p class=\"note\">These databases record no production time with their transactions (written by an older RideStream): no lag series.</p>"
            : SVGChart.lines("lag in events per group", x: lagX, lines: series { $0.lag.map(Double.init) }, xUnit: " s")
                + SVGChart.lines("seconds behind per group", x: lagX, lines: series { $0.secondsBehind }, xUnit: " s")
        sections.append(section("Lag over time", "At each commit: events produced but not yet stored, and how far (simulated seconds) the newest stored event trailed production.", lagText))

        let groups = report.groups
        let writes = groups.map { group in
            let ratio = group.transactions > 0 ? Double(group.events) / Double(group.transactions) : 0
            return "<tr><td>\(e(group.name))</td><td class=\"n\">\(group.events)</td><td class=\"n\">\(group.transactions)</td><td class=\"n\">\(String(format: "%.0f", ratio))×</td></tr>"
        }.joined()
        sections.append(section("Transactions against events", "A naive application commits once per event; each group batched its events into few SQLite transactions.",
            SVGChart.bars("events and transactions per group", labels: groups.flatMap { ["\($0.name) events", "txns"] },
                          values: groups.flatMap { [Double($0.events), Double($0.transactions)] })
                + "<table><tr><th>group</th><th>events</th><th>transactions</th><th>events per transaction</th></tr>\(writes)</table>"))

        var timeline: [(second: Double, group: String, rebalance: RecordedRebalance)] = []
        for group in groups { for rebalance in group.timeline { timeline.append((rebalance.runSecond ?? -1, group.name, rebalance)) } }
        timeline.sort { ($0.second, $0.group, $0.rebalance.generation) < ($1.second, $1.group, $1.rebalance.generation) }
        let timelineChart = SVGChart.lines(
            "rebalances over simulated time (generation per group)", x: timeline.map { max(0, $0.second) },
            lines: groups.map { group in SVGChart.Line(name: group.name, values: timeline.map { $0.group == group.name ? Double($0.rebalance.generation) : nil }) },
            xUnit: " s"
        )
        let items = timeline.map { entry in
            let moves = entry.rebalance.moves.map { "p\($0.partition): \($0.from ?? "nobody") → \($0.to)" }.joined(separator: ", ")
            return "<li class=\"cause-\(e(entry.rebalance.cause.replacingOccurrences(of: " ", with: "-")))\"><b>\(entry.second < 0 ? "before the first tick" : "\(Int(entry.second.rounded())) s")</b> "
                + "\(e(entry.group)) · generation \(entry.rebalance.generation) · <i>\(e(entry.rebalance.cause))</i><br>\(e(entry.rebalance.story))"
                + (moves.isEmpty ? "" : "<br><small>\(e(moves))</small>") + "</li>"
        }.joined()
        sections.append(section("Rebalance timeline", "Each generation in simulated time, why it happened and what moved.", timelineChart + "<ol class=\"timeline\">\(items)</ol>"))

        sections.append(section("Incidents by kind", "What the support group flagged: GPS jumps, long stops during a trip, speeding.",
            SVGChart.bars("incidents by kind", labels: report.incidents.map(\.kind), values: report.incidents.map { Double($0.count) })))

        let partitions = report.eventsPerPartition.enumerated().map { "p\($0.offset) \($0.element)" }.joined(separator: " · ")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>RideStream report: \(e(report.dataDirectory))</title>
            <style>\(style)</style></head><body>
            <h1>RideStream report</h1>
            <p class="note">\(e(report.dataDirectory)) · \(report.eventsPerPartition.reduce(0, +)) events in the log · \(e(partitions))</p>
            \(sections.joined(separator: "\n"))
            </body></html>
            """
    }

    private static func section(_ title: String, _ note: String, _ body: String) -> String {
        "<section><h2>\(SVGChart.escape(title))</h2><p class=\"note\">\(SVGChart.escape(note))</p>\(body)</section>"
    }

    static let style = """
        body { font: 14px/1.4 system-ui, sans-serif; color: #1d2430; max-width: 1340px; margin: 20px auto; padding: 0 16px; }
        h1 { font-size: 22px; } h2 { font-size: 16px; margin: 0 0 4px; } .note { color: #6b7585; margin: 0 0 8px; }
        section { border: 1px solid #d9dee6; border-radius: 8px; padding: 12px 14px; margin: 0 0 14px; }
        svg.chart { width: 640px; max-width: 100%; height: auto; margin-right: 12px; }
        .plot { fill: #fafbfc; stroke: #d9dee6; } .grid { stroke: #eef0f3; }
        .tick, .legend, .value { font-size: 10px; fill: #6b7585; } .value { fill: #1d2430; }
        table { border-collapse: collapse; margin-top: 8px; } td, th { border-bottom: 1px solid #d9dee6; padding: 3px 10px; text-align: left; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; }
        ol.timeline { padding-left: 20px; } ol.timeline li { margin-bottom: 6px; }
        li.cause-session-timeout b { color: #c92a2a; }
        """
}
