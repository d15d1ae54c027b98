import Foundation
import LogStore
import RideModel

/// The settings that decide a run's rows: which events it produces, in which partition and
/// order, and the fare tariff. Recorded in the data directory when a run starts
/// (`run-settings`) and compared by `--resume` and `--no-fresh` before anything is produced.
///
/// `ResumePoint.verify` checks the records the log still holds against the seed; this covers
/// what it cannot see: after a power loss the log may hold nothing, while the databases are
/// ahead of it and would be completed with the events of other settings.
///
/// Format: one line of UTF-8 text, the settings in a fixed order and notation (below), through
/// `DurableFile` (temporary file, fsync, rename, directory sync). The run's duration is left
/// out: a resumed run may be longer, and earlier ticks do not depend on it.
struct RunSettingsRecord: Hashable, Sendable {
    static let fileName = "run-settings"

    let text: String

    init(_ configuration: PipelineConfiguration) {
        let settings = configuration.simulatorSettings
        let regions = settings.regions.map { region in
            let box = region.box
            return "\(region.name) [\(box.minLat) \(box.maxLat) \(box.minLon) \(box.maxLon)]"
        }
        let table = configuration.partitionTable.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.map(String.init).joined(separator: " "))" }
        text = "topic \(configuration.topic), \(configuration.partitions) partitions (\(table.joined(separator: ", "))); "
            + "seed \(settings.seed), \(settings.drivers) drivers, tick \(settings.tickMs) ms, start \(settings.startTime); "
            + "regions \(regions.joined(separator: ", ")); "
            + "tariff \(configuration.tariff.base) + \(configuration.tariff.perKm)/km + \(configuration.tariff.perMinute)/min, minimum \(configuration.tariff.minimum)"
    }

    private init(text: String) { self.text = text }

    /// The record in `directory`, or nil when there is none (a run from before it was kept,
    /// or killed before it was written).
    static func read(in directory: String) throws(PipelineError) -> RunSettingsRecord? {
        let path = directory + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8),
              text.hasPrefix("topic "), text.hasSuffix("\n")
        else { throw .runSettings(path: path, problem: "unreadable: not a run-settings line (the file is damaged)") }
        return RunSettingsRecord(text: String(text.dropLast()))
    }

    func write(in directory: String) throws(PipelineError) {
        do {
            try DurableFile.write(Array((text + "\n").utf8), to: directory + "/" + Self.fileName)
        } catch {
            throw .runSettings(path: directory + "/" + Self.fileName, problem: "cannot write: \(error.message)")
        }
    }
}
