import Foundation
import TestSupport
import Testing

/// `ridestream rebuild`: every sink's database made again from the log holds the same business
/// rows (read with the sqlite3 shell), the old file is kept aside, and a rebuild killed with
/// SIGKILL leaves the old file as it was.
@Suite struct RebuildTests {
    /// Each business table's rows, sorted, as the sqlite3 shell prints them.
    static func businessRows(_ data: String) async throws -> [String] {
        var rows: [String] = []
        for (file, query) in CrashResumeTests.businessQueries {
            let shell = try await ChildProcess("/usr/bin/sqlite3", ["-readonly", data + "/" + file, query], errors: .separate).exit()
            #expect(shell.status == 0, "\(file): \(shell.errors)")
            rows.append("\(file): " + shell.output)
        }
        return rows
    }

    static func rebuild(_ group: String, _ data: String, config: String) async throws -> ChildProcess.Exit {
        try await CommandLineTests.run(["rebuild", "--group", group, "--data-dir", data, "--config", config])
    }

    @Test func everyRebuiltDatabaseHoldsTheSameBusinessRows() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary))
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "the sqlite3 shell is needed (apt-get install sqlite3)")
        let dir = TemporaryDirectory("rebuild")
        defer { dir.remove() }
        let data = try await InspectCommandTests.finishedRun(dir)
        let config = dir.file("test.yaml")
        let before = try await Self.businessRows(data)
        #expect(before.joined().split(separator: "\n").count > 2400, "the events, minutes, trips and statuses: \(before.map { $0.prefix(80) })")
        for group in ["fare", "analytics", "support"] {
            let rebuilt = try await Self.rebuild(group, data, config: config)
            #expect(rebuilt.status == 0, "\(rebuilt.output)")
            #expect(rebuilt.output.contains("rebuilt \(group).sqlite from the log: 2400 events replayed"), "\(rebuilt.output)")
            #expect(rebuilt.output.contains("the previous file is kept as \(group).before-rebuild.sqlite"), "\(rebuilt.output)")
            #expect(FileManager.default.fileExists(atPath: "\(data)/\(group).before-rebuild.sqlite"))
        }
        #expect(try await Self.businessRows(data) == before)
        let verified = try await CommandLineTests.run(["verify", "--data-dir", data])
        #expect(verified.status == 0, "the rebuilt files and their stored offsets check out: \(verified.output)")
        let other = try await CommandLineTests.run(["rebuild", "--group", "billing", "--data-dir", data, "--config", config])
        #expect(other.status == 64 && other.output.contains("--group billing: a RideStream sink is one of fare, analytics, support"), "\(other.output)")
    }

    @Test func aRebuildKilledMidwayLeavesTheOldFileAsItWas() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary))
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "the sqlite3 shell is needed (apt-get install sqlite3)")
        let dir = TemporaryDirectory("rebuild")
        defer { dir.remove() }
        let data = dir.file("data")
        let config = CrashResumeTests.writeConfig(dir)
        let run = try await CommandLineTests.run(["simulate", "--config", config, "--data-dir", data])
        #expect(run.status == 0, "\(run.output)")
        let original = try Data(contentsOf: URL(fileURLWithPath: data + "/analytics.sqlite"))
        let rows = try await Self.businessRows(data)
        let building = data + "/analytics.rebuild.sqlite"
        let rebuild = try ChildProcess(CommandLineTests.binary, ["rebuild", "--group", "analytics", "--data-dir", data, "--config", config])
        let started = await eventually(timeoutMs: 60_000) { FileManager.default.fileExists(atPath: building) || !rebuild.isRunning }
        #expect(started && rebuild.isRunning, "the rebuild ended before it could be killed: \(rebuild.output)")
        rebuild.signal(SIGKILL)
        _ = await rebuild.exit()
        #expect(try Data(contentsOf: URL(fileURLWithPath: data + "/analytics.sqlite")) == original, "the old file is untouched")
        #expect(!FileManager.default.fileExists(atPath: data + "/analytics.before-rebuild.sqlite"), "nothing was swapped")
        let again = try await Self.rebuild("analytics", data, config: config)
        #expect(again.status == 0, "\(again.output)")
        #expect(!FileManager.default.fileExists(atPath: building), "the leftover is gone")
        #expect(try await Self.businessRows(data) == rows)
    }
}
