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

    /// Runs `body` with the broker, holding the directory.
    func withBroker<Result>(_ body: (Broker) throws -> Result) throws -> Result {
        try holding { _ in
            guard FileManager.default.fileExists(atPath: brokerDirectory + "/topics") else {
                throw DataDirectoryError.noBrokerData(path: dataDirectory)
            }
            var logger = Logger(label: "ridestream.inspect")
            logger.logLevel = .warning
            var configuration = BrokerConfiguration(dataDirectory: brokerDirectory)
            configuration.readOnly = true  // inspection never writes: a torn tail is left for the next run to repair
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

    public func topicsList() throws -> String { try withBroker(topicsList) }

    private func topicsList(_ broker: Broker) throws -> String {
        var table = TextTable([.left, .right, .right])
        table.append(["topic", "partitions", "events"])
        for name in broker.topicNames() {
            let description = try broker.describeTopic(name)
            let events = description.partitions.reduce(Int64(0)) { $0 + ($1.logEndOffset - $1.logStartOffset) }
            table.append([name, "\(description.partitions.count)", "\(events)"])
        }
        return table.lines().joined(separator: "\n")
    }

    public func topicDescription(_ name: String?) throws -> String { try withBroker { try topicDescription(name, $0) } }

    private func topicDescription(_ name: String?, _ broker: Broker) throws -> String {
        var lines: [String] = []
        for topic in name.map({ [$0] }) ?? broker.topicNames() {
            let description = try broker.describeTopic(topic)
            let log = description.configuration.logConfiguration(defaults: broker.configuration.log)
            lines.append("topic \(topic): \(description.partitions.count) partitions, retention "
                + (log.retentionMilliseconds.map { Self.duration($0) } ?? "forever")
                + (log.retentionBytes.map { " or \($0 >> 20) MiB per partition" } ?? "")
                + ", segments of \(log.segmentBytes >> 20) MiB or \(Self.duration(log.segmentMilliseconds))")
            var table = TextTable([.right, .right, .right, .right, .right, .left, .left, .left])
            table.append(["partition", "log start", "log end", "bytes", "segments", "oldest segment", "last written", "opened"])
            for partition in description.partitions {
                let oldest = partition.oldestSegment
                table.append([
                    "\(partition.partition.rawValue)", "\(partition.logStartOffset.rawValue)", "\(partition.logEndOffset.rawValue)",
                    "\(partition.sizeInBytes)", "\(partition.segments)", oldest.fileName, Self.time(oldest.lastWrite),
                    Self.opened(partition.recovery),
                ])
            }
            lines += table.lines(indent: "  ")
        }
        return lines.joined(separator: "\n")
    }

    /// How the log was found: "clean", "not closed cleanly, checked", or a torn tail the next
    /// run cuts (inspection leaves it).
    static func opened(_ recovery: RecoveryReport) -> String {
        if recovery.cleanShutdown { return "clean" }
        guard recovery.truncatedBytes > 0 else { return "not closed cleanly, checked" }
        return "torn tail: \(recovery.truncatedRecords) records in \(recovery.truncatedBytes) bytes, cut by the next run"
    }

    /// "7 d", "36 h", "90 s", "250 ms".
    static func duration(_ milliseconds: Int64) -> String {
        if milliseconds % 86_400_000 == 0 { return "\(milliseconds / 86_400_000) d" }
        if milliseconds % 3_600_000 == 0 { return "\(milliseconds / 3_600_000) h" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(milliseconds) ms"
    }

    /// A wall-clock time in UTC, to the second.
    static func time(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    // MARK: - Groups

    public func groupsList() throws -> String { try withBroker(groupsList) }

    private func groupsList(_ broker: Broker) throws -> String {
        var table = TextTable([.left, .right, .right, .left])
        table.append(["group", "partitions", "total lag", "database"])
        for group in broker.offsets.groups() {
            let committed = broker.offsets.committed(group: group)
            var lag: Int64 = 0
            for (partition, offset) in committed {
                if let end = try? broker.bounds(partition).end { lag += max(0, end.rawValue - offset.offset.rawValue) }
            }
            let file = GroupName(rawValue: group).map { dataDirectory + "/" + $0.databaseFile } ?? "-"
            table.append([group, "\(committed.count)", "\(lag)", file])
        }
        return table.lines().joined(separator: "\n")
    }

    public func groupDescription(_ name: String?) throws -> String { try withBroker { try groupDescription(name, $0) } }

    private func groupDescription(_ name: String?, _ broker: Broker) throws -> String {
        var lines: [String] = []
        let names = name.map { [$0] } ?? Array(Set(broker.offsets.groups()).union(GroupName.allCases.map(\.rawValue))).sorted()
        for group in names {
            lines.append("group \(group)")
            let committed = broker.offsets.committed(group: group)
            let groupDatabase = try GroupName(rawValue: group).flatMap { try database($0) }
            let stored = try groupDatabase.map { try storedOffsets($0) } ?? [:]
            var table = TextTable([.left, .right, .right, .right, .right, .right])
            table.append(["topic", "partition", "log end", "committed", "stored", "lag"])
            for (partition, offset) in committed.sorted(by: { $0.key < $1.key }) {
                let end = (try? broker.bounds(partition).end.rawValue) ?? -1
                let inDatabase = stored[Int(partition.partition.rawValue)]
                let lag = max(0, end - (inDatabase ?? offset.offset.rawValue))
                table.append([
                    partition.topic, "\(partition.partition.rawValue)", "\(end)", "\(offset.offset.rawValue)",
                    inDatabase.map { "\($0)" } ?? "-", "\(lag)",
                ])
            }
            lines += table.lines(indent: "  ")
            guard let database = groupDatabase else { continue }
            let rebalance = try database.prepare("SELECT generation, members, assignment FROM rebalances ORDER BY generation DESC LIMIT 1")
            if try rebalance.step() {
                lines.append("  last rebalance: generation \(rebalance.int(0)), members \(rebalance.string(1) ?? "")")
                lines.append("    assignment: \(rebalance.string(2) ?? "")")
            }
            let consumers = try database.prepare(
                #"SELECT consumer, group_concat(DISTINCT "partition"), count(*), sum(events) FROM batches GROUP BY consumer ORDER BY consumer"#
            )
            lines.append("  consumers (from the batch log):")
            while try consumers.step() {
                lines.append("    \(consumers.string(0) ?? "")  partitions \(consumers.string(1) ?? "-")  \(consumers.int(2)) transactions  \(consumers.int(3)) events")
            }
            guard try database.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'log_gaps'") == 1 else { continue }
            let gaps = try database.prepare(#"SELECT "partition", from_offset, to_offset FROM log_gaps ORDER BY id"#)
            while try gaps.step() {
                let (from, to) = (gaps.int(1), gaps.int(2))
                lines.append("  GAP: partition \(gaps.int(0)) offsets \(from)..<\(to) (\(to - from) events) were deleted by retention before this group stored them")
            }
        }
        return lines.joined(separator: "\n")
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
