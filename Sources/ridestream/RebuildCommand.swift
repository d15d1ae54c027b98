import ArgumentParser
import Foundation
import RidePipeline

/// `ridestream rebuild --group G`: a sink's database rebuilt from the log (`SinkRebuild`).
struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild a group's database from the log into a new file, swapped in only when complete (the old one kept aside).",
        discussion: """
        The log keeps the stream, so a database can be made again from it: after a bug fix in a sink, a lost or \
        damaged file, or to watch a consumer catch up. Events retention or DeleteRecords removed are recorded as a \
        gap. The directory is held throughout; a run or server using it is refused.
        """
    )
    @OptionGroup var options: DataDirectoryOptions
    @Option(help: "The group: fare, analytics or support.") var group: String
    @Option(help: "The configuration the run was made with (its topic, tariff and batch size; default: \(ConfigLoader.defaultPath)).")
    var config: String?
    @Option(help: "text or json.") var format: OutputFormat = .text

    func validate() throws {
        guard GroupName(rawValue: group) != nil else {
            throw ValidationError("--group \(group): a RideStream sink is one of \(GroupName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let terminal = CommandLineTerminal.shared
        let path = config ?? ConfigLoader.defaultPath
        let configuration: PipelineConfiguration
        do {
            configuration = try ConfigLoader.load(path: path)
        } catch {
            throw CommandFailure(error.description, exitCode: 2).exit(terminal)
        }
        switch StoredRun.sinkSettingsMatch(configuration, in: options.dataDir) {
        case false?:
            throw CommandFailure(
                "the run in \(options.dataDir) was made with another topic, partition table or tariff than \(path): "
                    + "give the --config it was made with, or the rebuilt rows would differ", exitCode: 2
            ).exit(terminal)
        case nil:
            terminal.line("note: \(options.dataDir) records no run settings; rebuilding with those of \(path)", to: .standardError)
        case true?:
            break
        }
        let rebuild = SinkRebuild(dataDirectory: options.dataDir, configuration: configuration)
        try options.show { _ in
            let outcome = try rebuild.run(GroupName(rawValue: group)!)
            return try format.render(outcome) { outcome.text }
        }
    }
}
