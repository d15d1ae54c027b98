import Foundation
import RidePipeline
import SQLite
import TestSupport
import Testing

/// The `ridestream` executable on a data directory another process holds: every command
/// refuses, names the holder, and changes nothing; inspection asks the holder's Kafka port.
@Suite(.serialized) struct OwnershipTests {
    /// Every file under `path` with its bytes (the lock file included).
    static func tree(_ path: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: path) else { return result }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let full = path + "/" + relative
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else { continue }
            result[relative] = isDirectory.boolValue ? Data() : try Data(contentsOf: URL(fileURLWithPath: full))
        }
        return result
    }

    static func inode(_ path: String) -> UInt64? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.systemFileNumber] as? UInt64
    }

    /// Starts `broker serve` on `dir` and returns it with its port.
    static func serve(_ dir: String) async throws -> (ChildProcess, Int) {
        let server = try ChildProcess(CrashResumeTests.binary, ["broker", "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dir])
        let pattern = #"127\.0\.0\.1:(\d+)"#
        for _ in 0 ..< 2000 where server.output.range(of: pattern, options: .regularExpression) == nil && server.isRunning {
            try await Task.sleep(for: .milliseconds(10))
        }
        let text = server.output
        let range = try #require(text.range(of: pattern, options: .regularExpression), "no port in: \(text)")
        return (server, Int(text[range].split(separator: ":").last!)!)
    }

    @Test func everyCommandOnAHeldDirectoryRefusesNamesTheHolderAndChangesNothing() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CrashResumeTests.binary), "build the executable first")
        let dir = TemporaryDirectory("held")
        defer { dir.remove() }
        let config = CrashResumeTests.writeConfig(dir)
        let data = dir.file("data")
        var configuration = try ConfigLoader.load(path: config)
        configuration.dataDirectory = data
        configuration.drivers = 60
        configuration.durationSeconds = 60
        var options = RunOptions()
        options.showProgress = false
        _ = try await PipelineRunner(configuration: configuration, options: options).run()

        let (server, port) = try await Self.serve(data)
        let before = try Self.tree(data)
        #expect(before.keys.contains("fare.sqlite") && before.keys.contains("broker/topics/driver-locations/topic.json"))
        let commands: [([String], Bool)] = [
            (["simulate", "--config", config, "--data-dir", data], false),
            (["simulate", "--config", config, "--data-dir", data, "--resume"], false),
            (["simulate", "--config", config, "--data-dir", data, "--serve", "--port", "0"], false),
            (["broker", "serve", "--port", "0", "--data-dir", data], false),
            (["consume", "--config", config, "--data-dir", data, "--bootstrap", "127.0.0.1:\(port)", "--group", "fare"], false),
            (["report", "--data-dir", data], true),
            (["rebuild", "--group", "fare", "--config", config, "--data-dir", data], false),
        ]
        for (arguments, readOnly) in commands {
            let exit = await (try ChildProcess(CrashResumeTests.binary, arguments)).exit(killingAfterMs: 30_000)
            let command = arguments.prefix(2).joined(separator: " ")
            #expect(exit.status == 1, "\(command): \(exit.output)")
            #expect(exit.output.contains("is in use by `ridestream broker serve --port 0 --host 127.0.0.1 --data-dir \(data)`"), "\(command): \(exit.output)")
            #expect(exit.output.contains("Kafka port 127.0.0.1:\(port)"), "\(command): \(exit.output)")
            #expect(exit.output.contains("nothing in it was changed"), "\(command): \(exit.output)")
            if readOnly { #expect(exit.output.contains("kcat -b 127.0.0.1:\(port) -L"), "\(command) points to the Kafka port: \(exit.output)") }
        }
        // Inspection asks the holder's Kafka port instead (a misspelled topic is not created).
        for arguments in [
            ["topics", "describe", "--data-dir", data], ["topics", "describe", "drivr-locations", "--data-dir", data],
            ["groups", "describe", "--data-dir", data],
            ["groups", "reset-offsets", "--group", "fare", "--all-topics", "--to-earliest", "--data-dir", data],
        ] {
            let exit = await (try ChildProcess(CrashResumeTests.binary, arguments)).exit(killingAfterMs: 30_000)
            let command = arguments.prefix(3).joined(separator: " ")
            #expect(exit.output.contains("asking its Kafka port 127.0.0.1:\(port)"), "\(command): \(exit.output)")
            #expect(exit.status == (arguments.contains("drivr-locations") ? 1 : 0), "\(command): \(exit.output)")
        }
        #expect(try Self.tree(data) == before, "not a byte changed in the held directory")
        server.signal(SIGTERM)
        let stopped = await server.exit()
        #expect(stopped.status == 0, "\(stopped.output)")
    }

    /// The original loss: a fresh run started while another run served the same directory
    /// deleted the live run's databases and log. Now it is refused, and the live run ends
    /// with all its rows.
    @Test func aSecondRunCannotClearALiveRunsDirectory() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CrashResumeTests.binary), "build the executable first")
        let dir = TemporaryDirectory("live")
        defer { dir.remove() }
        let data = dir.file("data")
        let summaryPath = dir.file("summary.json")
        let live = try ChildProcess(CrashResumeTests.binary, [
            "simulate", "--config", CrashResumeTests.writeConfig(dir), "--data-dir", data, "--drivers", "500", "--duration", "3000", "--realtime",
            "--serve", "--port", "0", "--json-summary", summaryPath,
        ])
        let stored = { CrashResumeTests.storedEvents(data + "/analytics.sqlite") }
        for _ in 0 ..< 3000 where stored() < 1000 && live.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        let inode = try #require(Self.inode(data + "/analytics.sqlite"))
        let second = await (try ChildProcess(CrashResumeTests.binary, ["simulate", "--data-dir", data, "--drivers", "10", "--duration", "10"])).exit(killingAfterMs: 30_000)
        #expect(second.status == 1)
        #expect(second.output.contains("is in use by `ridestream simulate"), "\(second.output)")
        #expect(!second.output.contains("fresh run: removed"))
        #expect(Self.inode(data + "/analytics.sqlite") == inode, "the live run's database was not removed")
        live.signal(SIGINT)
        let exit = await live.exit()
        #expect(exit.status == 0, "\(exit.output.suffix(2000))")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as! [String: Any]
        #expect(CrashResumeTests.storedEvents(data + "/analytics.sqlite") == Int64(summary["events_produced"] as! Int))
    }
}
