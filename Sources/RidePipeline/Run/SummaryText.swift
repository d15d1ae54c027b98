import CPUTime
import Foundation

extension RunSummary {
    /// The end-of-run report: the Kafka ideas at work, in plain text. Columns are sized from
    /// their content, so no id, partition list or region name is ever cut.
    public func text(topic: String) -> String {
        var lines: [String] = []
        var notes = ""
        if stoppedEarly { notes += " (stopped early at \(simulatedSeconds) simulated s; everything produced was stored)" }
        if resumedFrom > 0 { notes += " (resumed: \(resumedFrom) events were already in the log)" }
        lines.append("")
        lines.append("== RideStream run: \(eventsProduced) events in \(simulatedSeconds) simulated s, \(String(format: "%.1f", wallSeconds)) s wall, \(Int(eventsPerSecond)) events/s\(notes)")
        lines.append("")
        lines.append("Topic '\(topic)': \(eventsPerPartition.count) partitions, by region (a driver stays in its region, so its events stay in order in one partition)")
        var partitions = TextTable([.left, .right, .left, .right, .left])
        for (partition, count) in eventsPerPartition.enumerated() {
            partitions.append(["partition", "\(partition)", partitionRegions[partition], "\(count)", "events"])
        }
        lines += partitions.lines(indent: "  ")
        if !scenario.isEmpty || !skippedSteps.isEmpty {
            lines.append("")
            lines.append("Scenario:")
            for step in scenario { lines.append("  \(step)") }
            for step in skippedSteps { lines.append("  skipped (after the run's end): \(step)") }
        }
        for name in groups.keys.sorted() {
            lines += groupLines(name, groups[name]!)
        }
        if cpu.processSeconds > 0 {
            lines.append("")
            lines.append("CPU time by stage (\(String(format: "%.1f", cpu.processSeconds)) s of CPU over \(String(format: "%.1f", wallSeconds)) s wall: \(String(format: "%.2f", cpu.processSeconds / max(wallSeconds, 0.001))) cores busy):")
            lines += cpu.lines(events: max(0, eventsProduced - resumedFrom)).map { "  " + $0 }
        }
        lines.append("")
        lines.append("Every group received every event (pub/sub between groups); inside a group each partition had one consumer at a time (queue).")
        lines.append("")
        lines.append("Query the results, for example:")
        if let fare = groups["fare"] {
            lines.append("  sqlite3 \(fare.database) \"SELECT region, count(*), round(avg(fare), 2), round(avg(distance_km), 2) FROM trips GROUP BY region\"")
        }
        if let analytics = groups["analytics"] {
            lines.append("  sqlite3 \(analytics.database) \"SELECT region, minute, events, active_drivers, round(avg_speed_kmh, 1) FROM region_minute_stats ORDER BY minute DESC, region LIMIT 12\"")
        }
        if let support = groups["support"] {
            lines.append("  sqlite3 \(support.database) \"SELECT kind, count(*) FROM incidents GROUP BY kind\"")
        }
        if let any = groups.values.first {
            lines.append("  sqlite3 \(any.database) \"SELECT consumer, \\\"partition\\\", count(*), sum(events) FROM batches GROUP BY 1, 2\"")
        }
        return lines.joined(separator: "\n")
    }

    private func groupLines(_ name: String, _ group: Group) -> [String] {
        var lines = [""]
        let ratio = group.transactions > 0 ? Double(group.events) / Double(group.transactions) : 0
        lines.append("Group '\(name)' -> \(group.database): \(group.events) events in \(group.transactions) SQLite transactions (\(String(format: "%.0f", ratio)) events per transaction), generation \(group.generation)")
        var table = TextTable([.left, .left, .left, .right, .left, .right, .left, .left])
        for consumer in group.consumers {
            var note = ""
            if consumer.idle { note = "IDLE: more consumers than partitions" }
            if consumer.state != .running { note = "(\(consumer.state.rawValue))" }
            if consumer.commitFailures > 0 { note += (note.isEmpty ? "" : "; ") + "\(consumer.commitFailures) offset commits to the log refused" }
            let partitions = consumer.partitions.isEmpty ? "-" : consumer.partitions.map(String.init).joined(separator: ",")
            table.append([consumer.id, "partitions", partitions, "\(consumer.records)", "records,", "\(consumer.transactions)", "transactions", note])
        }
        lines += table.lines(indent: "  ")
        if group.commitFailures > 0 {
            lines.append("  \(group.commitFailures) offset commits to the log were refused (rebalances); the database kept every offset, so nothing was lost")
        }
        for rebalance in group.timeline { lines.append("  rebalance: \(rebalance.story)") }
        for gap in group.gaps {
            lines.append("  GAP: partition \(gap.partition) offsets \(gap.from)..<\(gap.to) (\(gap.to - gap.from) events) were deleted from the log (by retention or DeleteRecords) before this group stored them")
        }
        return lines
    }

    /// The summary as pretty-printed JSON.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
