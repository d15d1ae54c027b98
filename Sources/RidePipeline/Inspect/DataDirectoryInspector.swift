import Broker
import Foundation
import Groups
import KafkaWire
import LogStore
import Logging
import SQLite

/// Read-side views of a data directory after (or between) runs: topics, groups and the
/// databases. Opens the broker's logs (refused while a run holds the directory) and the SQLite
/// files read-only.
public struct DataDirectoryInspector {
    public let dataDirectory: String

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    var brokerDirectory: String { dataDirectory + "/broker" }

    func openBroker() throws -> Broker {
        guard FileManager.default.fileExists(atPath: brokerDirectory + "/topics") else {
            throw SinkError("\(dataDirectory) holds no broker data (no \(brokerDirectory)); run `ridestream simulate` first")
        }
        var logger = Logger(label: "ridestream.inspect")
        logger.logLevel = .warning
        return try Broker(configuration: BrokerConfiguration(dataDirectory: brokerDirectory), logger: logger)
    }

    func database(_ group: GroupName) throws -> Database? {
        let path = dataDirectory + "/" + group.databaseFile
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try Database(path: path, create: false, readOnly: true)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    static func right(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }

    // MARK: - Topics

    public func topicsList() throws -> String {
        let broker = try openBroker()
        defer { try? broker.close() }
        var lines = [Self.pad("topic", 28) + "partitions      events"]
        for name in broker.topicNames() {
            let description = try broker.describeTopic(name)
            let events = description.partitions.reduce(Int64(0)) { $0 + ($1.logEndOffset - $1.logStartOffset) }
            lines.append(Self.pad(name, 28) + Self.right(Int64(description.partitions.count), 10) + Self.right(events, 12))
        }
        return lines.joined(separator: "\n")
    }

    public func topicDescription(_ name: String?) throws -> String {
        let broker = try openBroker()
        defer { try? broker.close() }
        var lines: [String] = []
        for topic in name.map({ [$0] }) ?? broker.topicNames() {
            let description = try broker.describeTopic(topic)
            let configuration = description.configuration
            lines.append("topic \(topic): \(description.partitions.count) partitions"
                + (configuration.retentionMilliseconds.map { ", retention \($0 / 3_600_000) h" } ?? "")
                + (configuration.retentionBytes.map { ", retention \($0 >> 20) MiB" } ?? ""))
            lines.append("  partition   log start     log end       bytes  segments  opened")
            for partition in description.partitions {
                lines.append(
                    "  " + Self.right(Int64(partition.partition.rawValue), 9) + Self.right(partition.logStartOffset.rawValue, 12)
                        + Self.right(partition.logEndOffset.rawValue, 12) + Self.right(Int64(partition.sizeInBytes), 12)
                        + Self.right(Int64(partition.segments), 10) + "  " + (partition.openedCleanly ? "clean" : "recovered")
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - Groups

    public func groupsList() throws -> String {
        let broker = try openBroker()
        defer { try? broker.close() }
        var lines = [Self.pad("group", 12) + "partitions   total lag   database"]
        for group in broker.offsets.groups() {
            let committed = broker.offsets.committed(group: group)
            var lag: Int64 = 0
            for (partition, offset) in committed {
                if let end = try? broker.bounds(partition).end { lag += max(0, end.rawValue - offset.offset.rawValue) }
            }
            let file = GroupName(rawValue: group).map { dataDirectory + "/" + $0.databaseFile } ?? "-"
            lines.append(Self.pad(group, 12) + Self.right(Int64(committed.count), 10) + Self.right(lag, 12) + "   " + file)
        }
        return lines.joined(separator: "\n")
    }

    public func groupDescription(_ name: String?) throws -> String {
        let broker = try openBroker()
        defer { try? broker.close() }
        var lines: [String] = []
        let names = name.map { [$0] } ?? Array(Set(broker.offsets.groups()).union(GroupName.allCases.map(\.rawValue))).sorted()
        for group in names {
            lines.append("group \(group)")
            let committed = broker.offsets.committed(group: group)
            let groupDatabase = try GroupName(rawValue: group).flatMap { try database($0) }
            let stored = try groupDatabase.map { try storedOffsets($0) } ?? [:]
            lines.append("  " + Self.pad("topic", 18) + "partition   log end  committed    stored       lag")
            for (partition, offset) in committed.sorted(by: { $0.key < $1.key }) {
                let end = (try? broker.bounds(partition).end.rawValue) ?? -1
                let inDatabase = stored[Int(partition.partition.rawValue)]
                let lag = max(0, end - (inDatabase ?? offset.offset.rawValue))
                lines.append(
                    "  " + Self.pad(partition.topic, 18) + Self.right(Int64(partition.partition.rawValue), 9) + Self.right(end, 10)
                        + Self.right(offset.offset.rawValue, 11) + Self.right(inDatabase ?? -1, 10) + Self.right(lag, 10)
                )
            }
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
    public func report() throws -> String {
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
