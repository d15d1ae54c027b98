import ArgumentParser
import Dashboard
import Foundation
import Hummingbird
import Logging
import RidePipeline
import UnixSignals

/// `ridestream dashboard`: the dashboard of a finished run, read from its data directory
/// (`StoredRunView`), until Ctrl-C or SIGTERM. Read only: the directory is held while the page
/// is up (no run can change it meanwhile), the log and databases opened read-only, and the
/// control buttons are off.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the dashboard of a finished run, read only (the map, partitions, groups, lag over time, rebalances, the log's tail).",
        discussion: "The directory is held while the page is up; Ctrl-C ends it."
    )

    @Option(help: "The data directory of a run.") var dataDir = "Data"
    @Option(help: "The configuration the run was made with, for its regions' boxes and seed when they match the run's (default: \(ConfigLoader.defaultPath) if there is one).")
    var config: String?
    @Option(help: "The dashboard's HTTP port (0: any free port, printed at start).") var port = 8080
    @Option(help: "Address the dashboard listens on (0.0.0.0 or :: exposes it to the network).") var host = "127.0.0.1"

    func validate() throws {
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
    }

    func run() async throws {
        let terminal = CommandLineTerminal.shared
        do {
            try await serve(terminal)
        } catch {
            throw error.exit(terminal)
        }
    }

    private func serve(_ terminal: Terminal) async throws(CommandFailure) {
        // Only a configuration named on the command line must exist: without one the run's
        // own files say almost everything (the regions are drawn around the drivers).
        let path = config ?? ConfigLoader.defaultPath
        var configuration = PipelineConfiguration()
        if config != nil || FileManager.default.fileExists(atPath: path) {
            do {
                configuration = try ConfigLoader.load(path: path)
            } catch {
                throw CommandFailure(error.description, exitCode: 2)
            }
        }
        guard FileManager.default.fileExists(atPath: dataDir + "/broker") else {
            throw CommandFailure(DataDirectoryError.noBrokerData(path: dataDir).description, exitCode: 1)
        }
        let logger = Logger(label: "ridestream.dashboard")
        let board = Dashboard()
        let router = Router()
        DashboardRoutes.add(to: router, dashboard: board)
        // The port first, then the directory: a port in use leaves nothing held or opened.
        let endpoint: HTTPEndpoint
        do {
            endpoint = try await HTTPEndpoint.start(router, host: host, port: port, flag: "--port", logger: logger)
        } catch {
            throw CommandFailure(error.description, exitCode: 1)
        }
        let directory: DataDirectory
        do {
            directory = try DataDirectory.acquire(dataDir, access: .exclusive)
        } catch {
            await endpoint.stop()
            throw CommandFailure(error.description, exitCode: 1)
        }
        defer { directory.release() }
        var log: BuiltInEventLog?
        do {
            let opened = try BuiltInEventLog.readOnly(brokerDirectory: dataDir + "/broker")
            log = opened
            let match = StoredRun.settingsMatch(configuration, in: dataDir) == true
            let stored = try StoredRun.read(dataDirectory: dataDir, log: opened, regionPartitions: match ? configuration.partitionTable : nil)
            if !match {
                let against = FileManager.default.fileExists(atPath: path) ? "the settings of \(path)" : "a configuration (there is no \(path))"
                terminal.line(
                    "\(dataDir) was not made with \(against): the regions are drawn around the drivers' last positions and no seed is shown",
                    to: .standardError
                )
            }
            board.show(StoredRunView.snapshot(stored, configuration: configuration, settingsMatch: match), log: opened)
        } catch {
            try? await log?.close()
            await board.close()
            await endpoint.stop()
            throw CommandFailure("cannot read the run in \(dataDir): \(error)", exitCode: 1)
        }
        terminal.line("Dashboard of the run in \(dataDir) on \(endpoint.url)/ (read only) until Ctrl-C.")
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
        await board.close()
        await endpoint.stop()
    }
}
