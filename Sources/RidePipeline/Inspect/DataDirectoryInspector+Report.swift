import SQLite

extension DataDirectoryInspector {
    /// The run's `RunReport`, read from its databases while holding the directory (missing
    /// databases leave their parts empty).
    public func runReport() throws -> RunReport { try holding { _ in try runReportHeld() } }

    func runReportHeld() throws -> RunReport {
        let analytics = try database(.analytics)
        var report = RunReport(
            dataDirectory: dataDirectory, startMs: nil, eventsPerPartition: [], regionMinutes: [], tripsByRegion: [], groups: [], incidents: []
        )
        var ends = LogEnds()
        if let analytics {
            let milliseconds = try Self.eventTimeMs(analytics)
            report.startMs = try analytics.scalar("SELECT min(\(milliseconds)) FROM location_events")
            ends = try Self.logEndsOverTime(analytics, milliseconds: milliseconds, first: report.startMs ?? 0)
            report.eventsPerPartition = (0 ..< (ends.series.keys.max().map { $0 + 1 } ?? 0)).map { ends.series[$0]?.last?.end ?? 0 }
            let minutes = try analytics.prepare("SELECT region, minute, events FROM region_minute_stats ORDER BY minute, region")
            while try minutes.step() {
                report.regionMinutes.append(.init(region: minutes.string(0) ?? "", minute: minutes.string(1) ?? "", events: Int(minutes.int(2))))
            }
        }
        if let fare = try database(.fare) {
            let trips = try fare.prepare("SELECT region, count(*), coalesce(sum(fare), 0), coalesce(avg(fare), 0) FROM trips GROUP BY region ORDER BY region")
            while try trips.step() {
                report.tripsByRegion.append(.init(region: trips.string(0) ?? "", trips: Int(trips.int(1)), revenue: trips.double(2), averageFare: trips.double(3)))
            }
        }
        if let support = try database(.support) {
            let incidents = try support.prepare("SELECT kind, count(*) FROM incidents GROUP BY kind ORDER BY kind")
            while try incidents.step() { report.incidents.append(.init(kind: incidents.string(0) ?? "", count: Int(incidents.int(1)))) }
        }
        for group in GroupName.allCases {
            guard let database = try database(group) else { continue }
            if report.startMs == nil, try Self.has(database, column: "last_event_ms", in: "batches") {
                report.startMs = try database.scalar("SELECT min(last_event_ms) FROM batches")
            }
            report.groups.append(try Self.group(group, database: database, path: dataDirectory + "/" + group.databaseFile, ends: ends, startMs: report.startMs ?? 0))
        }
        return report
    }

    static func has(_ database: Database, table: String) throws -> Bool {
        try database.scalar("SELECT count(*) FROM sqlite_master WHERE name = '\(table)'") == 1
    }

    static func has(_ database: Database, column: String, in table: String) throws -> Bool {
        try database.scalar("SELECT count(*) FROM pragma_table_info('\(table)') WHERE name = '\(column)'") == 1
    }

    /// Each partition's log end over simulated time, bounded: per time bucket (`bucketMs`
    /// wide, at most `maxBuckets` over the run), the offset after its newest event, never
    /// lower than the bucket before. Exact while a bucket is no wider than a tick (any run
    /// under about 5 hours at 1 s ticks); within a bucket for longer ones.
    struct LogEnds {
        static let maxBuckets: Int64 = 20_000
        var bucketMs: Int64 = 1
        var series: [Int: [(bucket: Int64, end: Int64)]] = [:]

        var isEmpty: Bool { series.isEmpty }

        /// The log end of `partition` once production had reached `producedMs`: its events before then.
        func end(_ partition: Int, before producedMs: Int64) -> Int64 {
            guard let entries = series[partition] else { return 0 }
            let limit = producedMs / bucketMs
            var (low, high) = (0, entries.count)
            while low < high {
                let middle = (low + high) / 2
                if entries[middle].bucket < limit { low = middle + 1 } else { high = middle }
            }
            return low == 0 ? 0 : entries[low - 1].end
        }
    }

    /// An event's time in milliseconds: `ts_ms`, or computed from the `ts` text of a file
    /// older than schema version 6.
    private static func eventTimeMs(_ analytics: Database) throws -> String {
        try has(analytics, column: "ts_ms", in: "location_events") ? "ts_ms" : "CAST(round((julianday(ts) - 2440587.5) * 86400000) AS INTEGER)"
    }

    /// `milliseconds` is `eventTimeMs`; `first`, the earliest event's time.
    private static func logEndsOverTime(_ analytics: Database, milliseconds: String, first: Int64) throws -> LogEnds {
        let last = try analytics.scalar("SELECT max(\(milliseconds)) FROM location_events") ?? 0
        var ends = LogEnds(bucketMs: max(1, (last - first) / LogEnds.maxBuckets))
        let statement = try analytics.prepare(
            #"SELECT "partition", \#(milliseconds) / ?1, max("offset") + 1 FROM location_events GROUP BY 1, 2 ORDER BY 1, 2"#
        )
        statement.bind(1, ends.bucketMs)
        while try statement.step() {
            let partition = Int(statement.int(0))
            let end = max(statement.int(2), ends.series[partition]?.last?.end ?? 0)
            ends.series[partition, default: []].append((statement.int(1), end))
        }
        return ends
    }

    private static func group(
        _ group: GroupName, database: Database, path: String, ends: LogEnds, startMs: Int64
    ) throws -> RunReport.Group {
        // Files of older versions (read as they are: inspection never migrates) lack the
        // gaps (1), the rebalance history and last_event_ms (2), produced_ms (3).
        let hasHistory = try has(database, table: "rebalance_timeline")
        let hasGaps = try has(database, table: "log_gaps")
        var result = RunReport.Group(
            name: group.rawValue, database: path, events: 0, transactions: 0, consumers: [], lag: [],
            timeline: hasHistory ? try RecordedRebalance.all(in: database) : [],
            eventsMissing: hasGaps ? try database.scalar("SELECT coalesce(sum(to_offset - from_offset), 0) FROM log_gaps") ?? 0 : 0
        )
        let writes = try database.prepare("SELECT consumer, coalesce(sum(events), 0), count(*) FROM batches GROUP BY consumer ORDER BY consumer")
        while try writes.step() {
            let consumer = RunReport.ConsumerWrites(id: writes.string(0) ?? "", events: Int(writes.int(1)), transactions: Int(writes.int(2)))
            result.consumers.append(consumer)
            result.events += consumer.events
            result.transactions += consumer.transactions
        }
        guard try has(database, column: "produced_ms", in: "batches") else { return result }
        // Every row moves the stored offsets; a point is drawn at each row that knows when it
        // was committed in simulated time, as long as that time does not go back (a resumed
        // run's replayed backlog has none, a later --resume starts its clock again).
        let batches = try database.prepare(#"SELECT "partition", last_offset, last_event_ms, produced_ms FROM batches ORDER BY id"#)
        var stored: [Int: Int64] = [:]
        var newest: [Int: Int64] = [:]
        var points: [RunReport.LagPoint] = []
        while try batches.step() {
            let partition = Int(batches.int(0))
            stored[partition] = batches.int(1) + 1
            if !batches.isNull(2) { newest[partition] = batches.int(2) }
            guard !batches.isNull(3) else { continue }
            let produced = batches.int(3)
            if let last = points.last, Double(produced - startMs) / 1000 < last.second { continue }
            var lag: Int64?
            var behind = 0.0
            if ends.isEmpty {
                // No offsets to compare with: this transaction's own delay.
                behind = newest[partition].map { Double(produced - $0) / 1000 } ?? 0
            } else {
                lag = 0
                for partition in ends.series.keys {
                    let end = ends.end(partition, before: produced)
                    let storedOffset = stored[partition] ?? 0
                    lag! += max(0, end - storedOffset)
                    if end > storedOffset, let time = newest[partition] { behind = max(behind, Double(produced - time) / 1000) }
                }
            }
            points.append(.init(second: Double(produced - startMs) / 1000, lag: lag, secondsBehind: behind))
        }
        let step = max(1, (points.count + RunReport.lagPoints - 1) / RunReport.lagPoints)
        result.lag = points.enumerated().filter { $0.offset % step == 0 || $0.offset == points.count - 1 }.map(\.element)
        return result
    }
}
