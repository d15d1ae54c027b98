import Broker
import Foundation
import Groups
import KafkaWire
import LogStore
import Logging
import SQLite

/// Read-side views of a data directory after (or between) runs: topics, groups and the
/// databases. Each view takes the directory's lock first (`DataDirectory`), so it is refused,
/// naming the holder, while a run or a server uses the directory; then it opens the broker
/// (`BrokerConfiguration.readOnly`) and the SQLite files read-only: inspecting never changes
/// a file, even one a crash left to recover.
public struct DataDirectoryInspector {
    public let dataDirectory: String

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    var brokerDirectory: String { dataDirectory + "/broker" }

    /// Runs `body` holding the directory. A directory that does not exist is not created.
    func holding<Result>(_ body: (DataDirectory) throws -> Result) throws -> Result {
        guard FileManager.default.fileExists(atPath: dataDirectory) else { throw DataDirectoryError.noBrokerData(path: dataDirectory) }
        let directory = try DataDirectory.acquire(dataDirectory, access: .exclusive)
        defer { directory.release() }
        return try body(directory)
    }

    /// Runs `body` with the broker, holding the directory; read-only unless `writable` (the
    /// commands that change offsets or groups on purpose).
    func withBroker<Result>(writable: Bool = false, _ body: (Broker) throws -> Result) throws -> Result {
        try holding { _ in
            guard FileManager.default.fileExists(atPath: brokerDirectory + "/topics") else {
                throw DataDirectoryError.noBrokerData(path: dataDirectory)
            }
            var logger = Logger(label: "ridestream.inspect")
            logger.logLevel = .warning
            var configuration = BrokerConfiguration(dataDirectory: brokerDirectory)
            configuration.readOnly = !writable  // inspection never writes: a torn tail is left for the next run to repair
            let broker = try Broker(configuration: configuration, logger: logger)
            defer { try? broker.close() }
            return try body(broker)
        }
    }

    func database(_ group: GroupName) throws -> Database? {
        let path = dataDirectory + "/" + group.databaseFile
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        // Held, so nobody writes it: without a write-ahead log to replay it is opened immutable,
        // which creates no -wal or -shm files.
        let hasLog = FileManager.default.fileExists(atPath: path + "-wal")
        return try Database(path: path, create: false, readOnly: true, immutable: !hasLog)
    }

    // MARK: - Topics

    /// Every topic, or the one named (`BrokerError` unknown topic when it is not there).
    public func topicViews(_ name: String? = nil) throws -> [TopicView] {
        try withBroker { broker in
            try (name.map { [$0] } ?? broker.topicNames()).map { TopicView(try broker.describeTopic($0), broker: broker.configuration) }
        }
    }

    public static func topicsListText(_ topics: [TopicView]) -> String {
        var table = TextTable([.left, .right, .right])
        table.append(["topic", "partitions", "events"])
        for topic in topics { table.append([topic.name, "\(topic.partitions.count)", "\(topic.events)"]) }
        return table.lines().joined(separator: "\n")
    }

    /// Per topic: a line of its retention and segments, its partitions, then its settings.
    public static func topicsDescriptionText(_ topics: [TopicView]) -> String {
        var lines: [String] = []
        for topic in topics {
            guard !topic.configs.isEmpty else {
                lines.append("topic \(TextTable.printable(topic.name)): \(topic.partitions.count) partitions (its settings: not served by this broker)")
                lines += partitionsTable(topic).lines(indent: "  ")
                continue
            }
            let setting = Dictionary(topic.configs.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
            let retention = Int64(setting["retention.ms"] ?? "") ?? -1, bytes = Int64(setting["retention.bytes"] ?? "") ?? -1
            let segmentBytes = Int64(setting["segment.bytes"] ?? "").map { "\($0 >> 20) MiB" } ?? "?"
            let segmentAge = Int64(setting["segment.ms"] ?? "").map(duration) ?? "?"
            lines.append("topic \(TextTable.printable(topic.name)): \(topic.partitions.count) partitions, retention "
                + (retention < 0 ? "forever" : duration(retention)) + (bytes < 0 ? "" : " or \(bytes >> 20) MiB per partition")
                + ", segments of \(segmentBytes) or \(segmentAge)")
            lines += partitionsTable(topic).lines(indent: "  ")
            var configs = TextTable([.left, .left, .left])
            configs.append(["config", "value", "source"])
            for config in topic.configs { configs.append([config.name, config.value ?? "-", config.source]) }
            lines += configs.lines(indent: "  ")
        }
        return lines.joined(separator: "\n")
    }

    private static func partitionsTable(_ topic: TopicView) -> TextTable {
        var table = TextTable([.right, .right, .right, .right, .right, .left, .left, .left])
        table.append(["partition", "log start", "log end", "bytes", "segments", "oldest segment", "last written", "opened"])
        for partition in topic.partitions {
            table.append([
                "\(partition.partition)", "\(partition.logStartOffset)", "\(partition.logEndOffset)", partition.bytes.map { "\($0)" } ?? "-",
                partition.segments.map { "\($0)" } ?? "-", partition.oldestSegment ?? "-", partition.lastWritten ?? "-", partition.opened ?? "-",
            ])
        }
        return table
    }

    /// "7 d", "36 h", "90 s", "250 ms".
    static func duration(_ milliseconds: Int64) -> String {
        if milliseconds % 86_400_000 == 0 { return "\(milliseconds / 86_400_000) d" }
        if milliseconds % 3_600_000 == 0 { return "\(milliseconds / 3_600_000) h" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(milliseconds) ms"
    }

    func storedOffsets(_ database: Database) throws -> [Int: Int64] {
        let statement = try database.prepare(#"SELECT "partition", next_offset FROM consumer_offsets"#)
        var result: [Int: Int64] = [:]
        while try statement.step() { result[Int(statement.int(0))] = statement.int(1) }
        return result
    }

    // MARK: - Report

    /// A summary of the three databases: what each holds and how it was written.
    public func report() throws -> String { try holding { _ in try reportHeld() } }

    private func reportHeld() throws -> String {
        var lines: [String] = ["RideStream report for \(dataDirectory)"]
        for group in GroupName.allCases {
            lines.append("")
            guard let database = try database(group) else {
                lines.append("\(group.databaseFile): missing")
                continue
            }
            let transactions = try database.scalar("SELECT count(*) FROM batches") ?? 0
            let events = try database.scalar("SELECT coalesce(sum(events), 0) FROM batches") ?? 0
            let generations = try database.scalar("SELECT count(*) FROM rebalances") ?? 0
            lines.append("\(group.databaseFile): \(events) events in \(transactions) transactions, \(generations) rebalances recorded")
            for (label, sql) in Self.reportQueries[group]! {
                let statement = try database.prepare(sql)
                var values: [String] = []
                while try statement.step() { values.append(statement.string(0) ?? "") }
                lines.append("  \(label): \(values.joined(separator: ", "))")
            }
            // Files written before the rebalance history (schema version 2) have no timeline.
            if try Self.has(database, table: "rebalance_timeline") {
                let timeline = try database.prepare("SELECT story FROM rebalance_timeline WHERE story != ''")
                while try timeline.step() { lines.append("  rebalance: \(timeline.string(0) ?? "")") }
            }
        }
        return lines.joined(separator: "\n")
    }

    static let reportQueries: [GroupName: [(String, String)]] = [
        .fare: [
            ("completed trips", "SELECT count(*) FROM trips"),
            ("trips in progress", "SELECT count(*) FROM open_trips"),
            ("revenue", "SELECT printf('%.2f', coalesce(sum(fare), 0)) FROM trips"),
            ("average fare", "SELECT printf('%.2f', coalesce(avg(fare), 0)) FROM trips"),
            ("average distance km", "SELECT printf('%.2f', coalesce(avg(distance_km), 0)) FROM trips"),
            ("trips by region", "SELECT region || ' ' || count(*) FROM trips GROUP BY region ORDER BY region"),
        ],
        .analytics: [
            ("events", "SELECT count(*) FROM location_events"),
            ("drivers", "SELECT count(DISTINCT driver_id) FROM location_events"),
            ("minutes covered", "SELECT count(DISTINCT minute) FROM region_minute_stats"),
            ("busiest region-minute", "SELECT region || ' ' || minute || ' (' || active_drivers || ' drivers)' FROM region_minute_stats ORDER BY active_drivers DESC LIMIT 1"),
            ("average speed km/h", "SELECT printf('%.1f', coalesce(avg(speed_kmh), 0)) FROM location_events WHERE status != 'offline'"),
        ],
        .support: [
            ("drivers tracked", "SELECT count(*) FROM driver_status"),
            ("drivers by status", "SELECT status || ' ' || count(*) FROM driver_status GROUP BY status ORDER BY status"),
            ("trip milestones", "SELECT count(*) FROM trip_timeline"),
            ("incidents", "SELECT kind || ' ' || count(*) FROM incidents GROUP BY kind ORDER BY kind"),
        ],
    ]
}
