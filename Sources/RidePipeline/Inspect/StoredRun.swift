import Broker
import Foundation
import KafkaWire
import RideModel
import SQLite

/// A finished run as `ridestream dashboard` shows it, read only: its report (`RunReport`),
/// the topic's partitions and their offsets, which regions went to which partition, each
/// group's stored offsets, and the drivers where the support database last saw them.
///
/// Read from a directory the caller holds (`DataDirectory.acquire`, which writes the holder
/// into the directory's lock file), through a read-only broker (`BuiltInEventLog.readOnly`)
/// and read-only databases: nothing else is written.
public struct StoredRun: Sendable {
    public var report: RunReport
    /// The run's topic (nil: the log holds no topic).
    public var topic: String?
    public var partitions: [LogBounds]
    /// Partitions by region, as the analytics database stored the events.
    public var regionPartitions: [String: [Int]]
    /// Each group's next offset to store, by partition.
    public var stored: [GroupName: [Int: Int64]]
    /// The drivers' last known positions and statuses (support's `driver_status`), in driver
    /// order, at the newest of their updates.
    public var drivers: DriverPositions.Frame?
    /// Regions in the order `drivers` refer to them.
    public var regions: [String]

    /// The run in `dataDirectory`, which the caller holds; `log` is its broker, read only.
    /// `regionPartitions`, when the caller knows them (the run's configuration), saves reading
    /// them from every analytics row.
    public static func read(dataDirectory: String, log: BuiltInEventLog, regionPartitions known: [String: [Int]]? = nil) throws -> StoredRun {
        let inspector = DataDirectoryInspector(dataDirectory: dataDirectory)
        var run = StoredRun(
            report: try inspector.runReportHeld(), topic: nil, partitions: [], regionPartitions: [:], stored: [:], drivers: nil, regions: []
        )
        // The topic the sinks read, else the log's only (or first) topic.
        for group in GroupName.allCases where run.topic == nil {
            guard let statement = try inspector.database(group)?.prepare("SELECT topic FROM consumer_offsets LIMIT 1") else { continue }
            if try statement.step() { run.topic = statement.string(0) }
        }
        if run.topic == nil { run.topic = log.broker.topicNames().first }
        if let topic = run.topic {
            do {
                for partition in try log.broker.describeTopic(topic).partitions {
                    run.partitions.append(LogBounds(start: partition.logStartOffset, end: partition.logEndOffset))
                }
            } catch {
                throw PipelineError(error)
            }
        }
        for group in GroupName.allCases {
            guard let database = try inspector.database(group) else { continue }
            run.stored[group] = try inspector.storedOffsets(database)
        }
        if let known {
            run.regionPartitions = known
        } else if let analytics = try inspector.database(.analytics) {
            let statement = try analytics.prepare(#"SELECT DISTINCT region, "partition" FROM location_events ORDER BY 1, 2"#)
            while try statement.step() { run.regionPartitions[statement.string(0) ?? "", default: []].append(Int(statement.int(1))) }
        }
        if let support = try inspector.database(.support) {
            var frame = DriverPositions.Frame(simulatedMs: 0, drivers: [])
            var regionIndex: [String: Int] = [:]
            let statement = try support.prepare("SELECT region, lat, lon, status, updated_ms FROM driver_status ORDER BY driver_id")
            while try statement.step() {
                let region = statement.string(0) ?? ""
                if regionIndex[region] == nil {
                    regionIndex[region] = run.regions.count
                    run.regions.append(region)
                }
                frame.drivers.append(.init(
                    lat: statement.double(1), lon: statement.double(2), status: DriverStatus(rawValue: statement.string(3) ?? "") ?? .offline,
                    region: regionIndex[region]!
                ))
                frame.simulatedMs = max(frame.simulatedMs, statement.int(4))
            }
            if !frame.drivers.isEmpty { run.drivers = frame }
        }
        return run
    }
}

extension StoredRun {
    /// Whether the run in `directory` was made with `configuration`'s event settings (seed,
    /// drivers, regions, partitions: `RunSettingsRecord`); nil when it recorded none.
    public static func settingsMatch(_ configuration: PipelineConfiguration, in directory: String) -> Bool? {
        guard let recorded = try? RunSettingsRecord.read(in: directory) else { return nil }
        return recorded == RunSettingsRecord(configuration)
    }

    /// Whether the run in `directory` was made with `configuration`'s topic, partitions and
    /// tariff: what decides a sink's rows from the events the log holds (a rebuild). nil when
    /// the run recorded no settings.
    public static func sinkSettingsMatch(_ configuration: PipelineConfiguration, in directory: String) -> Bool? {
        guard let recorded = try? RunSettingsRecord.read(in: directory) else { return nil }
        let expected = RunSettingsRecord(configuration)
        func parts(_ text: String) -> (topic: Substring?, tariff: Substring?) {
            (text.split(separator: ";").first, text.range(of: "; tariff ").map { text[$0.lowerBound...] })
        }
        return parts(recorded.text) == parts(expected.text)
    }
}
