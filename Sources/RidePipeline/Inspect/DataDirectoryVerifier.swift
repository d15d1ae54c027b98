import Broker
import Foundation
import KafkaWire
import Logging
import SQLite

/// What `ridestream verify` found: one line per thing checked, and how many were wrong.
public struct VerifyReport: Sendable {
    public private(set) var lines: [String] = []
    public private(set) var problems = 0

    mutating func ok(_ what: String, _ detail: String) { lines.append("ok       \(what): \(detail)") }
    mutating func note(_ what: String, _ detail: String) { lines.append("note     \(what): \(detail)") }
    mutating func problem(_ what: String, _ detail: String) {
        problems += 1
        lines.append("PROBLEM  \(what): \(detail)")
    }

    public var text: String {
        (lines + ["", problems == 0 ? "verified: no problems" : "\(problems) problem\(problems == 1 ? "" : "s") found"]).joined(separator: "\n")
    }
}

extension DataDirectoryInspector {
    /// Checks a whole data directory without writing to it: every log batch's checksum and
    /// offsets, the committed offsets, each database's `PRAGMA integrity_check` and its stored
    /// offsets against the log. Holds the directory's lock, like every inspection.
    public func verify() throws -> VerifyReport {
        try holding { _ in
            var report = VerifyReport()
            let logEnds = verifyBroker(&report)
            for group in GroupName.allCases { verifyDatabase(group, logEnds: logEnds, &report) }
            do throws(PipelineError) {
                if let settings = try RunSettingsRecord.read(in: dataDirectory) { report.ok("run settings", settings.text) }
            } catch {
                report.problem("run settings", error.description)
            }
            return report
        }
    }

    /// Returns each partition's log end (for the databases' stored offsets), keyed by topic.
    private func verifyBroker(_ report: inout VerifyReport) -> [String: [Int64]] {
        guard FileManager.default.fileExists(atPath: brokerDirectory + "/topics") else {
            report.note("broker", "no broker data in \(brokerDirectory)")
            return [:]
        }
        var configuration = BrokerConfiguration(dataDirectory: brokerDirectory)
        configuration.readOnly = true
        var logger = Logger(label: "ridestream.verify")
        logger.logLevel = .critical  // findings go into the report
        let broker: Broker
        do { broker = try Broker(configuration: configuration, logger: logger) } catch {
            report.problem("broker", "cannot be opened: \(error)")
            return [:]
        }
        defer { try? broker.close() }
        var ends: [String: [Int64]] = [:]
        for check in broker.verifyPartitions() {
            let what = "partition \(check.partition)"
            for note in check.notes { report.note(what, note) }
            if check.problems.isEmpty {
                report.ok(what, "\(check.records) records in \(check.batches) batches, checksums and offsets good")
            } else {
                for problem in check.problems { report.problem(what, problem) }
            }
            let end = (try? broker.bounds(check.partition).end.rawValue) ?? 0
            ends[check.partition.topic, default: []].append(end)
        }
        if let damage = broker.offsets.damage {
            report.problem("committed offsets", damage)
        } else {
            report.ok("committed offsets", "\(broker.offsets.groups().count) groups, readable")
        }
        return ends
    }

    private func verifyDatabase(_ group: GroupName, logEnds: [String: [Int64]], _ report: inout VerifyReport) {
        let what = group.databaseFile
        let database: Database
        do {
            guard let opened = try self.database(group) else { return }
            database = opened
        } catch {
            report.problem(what, "cannot be opened: \(error)")
            return
        }
        do {
            let statement = try database.prepare("PRAGMA integrity_check")
            var findings: [String] = []
            while try statement.step() { findings.append(statement.string(0) ?? "") }
            guard findings == ["ok"] else {
                report.problem(what, "integrity_check: " + findings.prefix(5).joined(separator: "; "))
                return
            }
            let stored = try database.prepare(#"SELECT topic, "partition", next_offset FROM consumer_offsets ORDER BY topic, "partition""#)
            var ahead: [String] = []
            var partitions = 0
            while try stored.step() {
                partitions += 1
                let topic = stored.string(0) ?? ""
                let partition = Int(stored.int(1))
                let next = stored.int(2)
                if let ends = logEnds[topic], partition < ends.count, next > ends[partition] {
                    ahead.append("partition \(partition) stored up to \(next), the log ends at \(ends[partition])")
                }
            }
            if ahead.isEmpty {
                report.ok(what, "integrity_check ok, stored offsets of \(partitions) partitions within the log")
            } else {
                report.problem(what, "the database is ahead of its log (the log lost events it has, as a power loss loses an unsynced tail; "
                    + "`simulate --resume` writes them again from the seed): " + ahead.joined(separator: "; "))
            }
        } catch {
            report.problem(what, "\(error)")
        }
    }
}
