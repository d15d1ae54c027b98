import Foundation

extension RunSummary {
    /// The end-of-run report: the Kafka ideas at work, in plain text.
    public func text(topic: String) -> String {
        var lines: [String] = []
        var stopped = stoppedEarly ? " (stopped early by a signal; everything produced was consumed)" : ""
        if resumedFrom > 0 { stopped += " (resumed: \(resumedFrom) events were already in the log)" }
        lines.append("")
        lines.append("== RideStream run: \(eventsProduced) events in \(simulatedSeconds) simulated s, \(String(format: "%.1f", wallSeconds)) s wall, \(Int(eventsPerSecond)) events/s\(stopped)")
        lines.append("")
        lines.append("Topic '\(topic)': \(eventsPerPartition.count) partitions, by region (a driver stays in its region, so its events stay in order in one partition)")
        for (partition, count) in eventsPerPartition.enumerated() {
            lines.append("  partition \(partition)  \(partitionRegions[partition].padding(toLength: 18, withPad: " ", startingAt: 0)) \(count) events")
        }
        if !scenario.isEmpty {
            lines.append("")
            lines.append("Scenario:")
            for step in scenario { lines.append("  \(step)") }
        }
        for name in groups.keys.sorted() {
            let group = groups[name]!
            lines.append("")
            let ratio = group.transactions > 0 ? Double(group.events) / Double(group.transactions) : 0
            lines.append("Group '\(name)' -> \(group.database): \(group.events) events in \(group.transactions) SQLite transactions (\(String(format: "%.0f", ratio)) events per transaction), generation \(group.generation)")
            for consumer in group.consumers {
                let partitions = consumer.partitions.isEmpty ? "-" : consumer.partitions.map(String.init).joined(separator: ",")
                var note = ""
                if consumer.idle { note = "  IDLE: more consumers than partitions" }
                if consumer.state != "running" { note = "  (\(consumer.state))" }
                lines.append("  \(consumer.id.padding(toLength: 13, withPad: " ", startingAt: 0)) partitions \(partitions.padding(toLength: 12, withPad: " ", startingAt: 0)) \(consumer.records) records, \(consumer.transactions) transactions\(note)")
            }
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

    /// The summary as pretty-printed JSON.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
