import Foundation
import Glibc
import RidePipeline
import SQLite
import TestSupport
import Testing

/// What a user meets first on the command line: refusals before anything is written, runs
/// that cannot store anything twice, the terminal's status line.
@Suite(.serialized) struct CommandLineTests {
    static var binary: String { CrashResumeTests.binary }
    static var shippedConfig: String { CrashResumeTests.root.appendingPathComponent("Config/ridestream.yaml").path }

    static func run(_ arguments: [String], in directory: String? = nil) async throws -> ChildProcess.Exit {
        guard let directory else { return try await ChildProcess(binary, arguments).exit() }
        let quoted = ([binary] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try await ChildProcess("/bin/sh", ["-c", "cd '\(directory)' && exec \(quoted)"]).exit()
    }

    @Test func aScenarioThatWouldStrandAGroupIsRefusedBeforeAnythingIsWritten() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary))
        let dir = TemporaryDirectory("cli")
        defer { dir.remove() }
        let exit = try await Self.run(["simulate", "--config", Self.shippedConfig, "--consumers", "fare=1", "--data-dir", dir.file("data")])
        #expect(exit.status == 2, "\(exit.output)")
        #expect(exit.output.contains("scenario[1]: crash_consumer fare at 300 s would leave group fare with no running consumer"), "\(exit.output)")
        #expect(exit.output.contains("--consumers fare=1"), "\(exit.output)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("data")))
        let negative = try await Self.run(["simulate", "--config", Self.shippedConfig, "--partitions", "-3", "--data-dir", dir.file("data")])
        #expect(negative.status == 2)
        #expect(negative.output.contains("--partitions: must be between 1 and 1000, got -3"), "\(negative.output)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("data")))
    }

    /// Every flag goes through the configuration file's limits, and output paths are checked
    /// before the run: each is refused naming the flag, with exit 2, before anything is created.
    @Test(arguments: [
        (["--partitions", "5000"], "--partitions: must be between 1 and 1000, got 5000"),
        (["--drivers", "2000000"], "--drivers: must be between 1 and 1000000, got 2000000"),
        (["--duration", "99999999999"], "--duration: must be between 1 and 31536000, got 99999999999"),
        (["--consumers", "fare=65"], "--consumers: expected GROUP=N with GROUP fare, analytics or support and N from 1 to 64, got 'fare=65'"),
        (["--json-summary", "/nonexistent/x.json"], "--json-summary /nonexistent/x.json: the directory /nonexistent does not exist"),
    ])
    func flagsOutsideTheConfigurationsLimitsAreRefusedBeforeAnythingIsCreated(flags: [String], message: String) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary))
        let dir = TemporaryDirectory("cli-limits")
        defer { dir.remove() }
        let exit = try await Self.run(["simulate", "--config", Self.shippedConfig, "--data-dir", dir.file("data")] + flags)
        #expect(exit.status == 2, "\(exit.output)")
        #expect(exit.output.contains(message), "\(exit.output)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("data")))
    }

    /// A metrics port that is taken stops `simulate` and `broker serve` before either touches
    /// its data directory, naming the port and the flag.
    @Test func aMetricsOrDashboardPortInUseOrABadSpeedIsRefusedBeforeAnythingIsCreated() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary))
        let dir = TemporaryDirectory("cli-metrics")
        defer { dir.remove() }
        let taken = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(taken) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(taken, $0, length) == 0 && listen(taken, 1) == 0 && getsockname(taken, $0, &length) == 0 }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        for (command, flag) in [
            (["simulate", "--config", Self.shippedConfig], "--metrics-port"), (["broker", "serve", "--port", "0"], "--metrics-port"),
            (["simulate", "--config", Self.shippedConfig, "--dashboard"], "--dashboard-port"),
        ] {
            let exit = try await Self.run(command + [flag, String(port), "--data-dir", dir.file("data")])
            #expect(exit.status == 1, "\(exit.output)")
            #expect(exit.output.contains("port \(port) on 127.0.0.1 is in use; choose another with \(flag)"), "\(exit.output)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("data")), "\(command)")
        }
        for (speed, problem) in [("0", "expected simulated seconds per wall second from 0.01 to 1000000, or max, got '0'"), ("fast", "got 'fast'")] {
            let exit = try await Self.run(["simulate", "--config", Self.shippedConfig, "--speed", speed, "--data-dir", dir.file("data")])
            #expect(exit.status == 2, "\(exit.output)")
            #expect(exit.output.contains("--speed") && exit.output.contains(problem), "\(exit.output)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("data")))
        }
        // `ridestream dashboard`: a directory without a run is named and not created; a port in
        // use names the port and the flag before the directory is held.
        let missing = try await Self.run(["dashboard", "--data-dir", dir.file("data"), "--port", "0"])
        #expect(missing.status == 1 && missing.output.contains("\(dir.file("data")) holds no broker data"), "\(missing.output)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("data")))
        try FileManager.default.createDirectory(atPath: dir.file("stored/broker"), withIntermediateDirectories: true)
        let busy = try await Self.run(["dashboard", "--data-dir", dir.file("stored"), "--port", String(port)])
        #expect(busy.status == 1 && busy.output.contains("port \(port) on 127.0.0.1 is in use; choose another with --port"), "\(busy.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("stored")) == ["broker"], "nothing written")
        let range = try await Self.run(["broker", "serve", "--metrics-port", "70000", "--data-dir", dir.file("data")])
        #expect(range.status != 0)
        #expect(range.output.contains("--metrics-port must be between 0 and 65535, got 70000"), "\(range.output)")
    }

    /// A run stopped by SIGTERM (a service manager's stop) ends its dashboard with it: exit 0,
    /// no page left waiting for another signal.
    @Test func aDashboardRunStoppedBySigtermExitsWithoutLingering() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary))
        let dir = TemporaryDirectory("cli")
        defer { dir.remove() }
        let run = try ChildProcess(Self.binary, [
            "simulate", "--config", Self.shippedConfig, "--dashboard", "--dashboard-port", "0", "--speed", "1", "--drivers", "20",
            "--duration", "3600", "--data-dir", dir.file("data"),
        ], errors: .merged)
        #expect(await run.signal(SIGTERM, when: { run.output.contains("Dashboard on http://127.0.0.1:") }, timeoutMs: 60_000))
        let exit = await run.exit(killingAfterMs: 60_000)
        #expect(exit.status == 0 && !exit.signalled, "\(exit.output)")
        #expect(!exit.output.contains("stays up"), "\(exit.output)")
    }

    @Test func stepsAfterTheEndAreReportedAtTheStart() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary))
        let dir = TemporaryDirectory("cli")
        defer { dir.remove() }
        let exit = try await Self.run(["simulate", "--config", Self.shippedConfig, "--drivers", "20", "--duration", "300", "--data-dir", dir.file("data")])
        #expect(exit.status == 0, "\(exit.output)")
        let lines = exit.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "scenario: crash_consumer fare at 300 s is after the run's end (300 s) and is skipped", "\(exit.output)")
        #expect(lines.contains("scenario: remove_consumer analytics at 400 s is after the run's end (300 s) and is skipped"))
        #expect(exit.output.contains("skipped (after the run's end): crash_consumer fare at 300 s"))
    }

    /// `--no-fresh` on a finished run refuses (producing again would store every event twice);
    /// `--resume` on it finishes with nothing to add. Neither changes a row.
    @Test func continuingAFinishedRunNeverStoresAnEventTwice() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary))
        let dir = TemporaryDirectory("cli")
        defer { dir.remove() }
        let data = dir.file("data")
        let common = ["simulate", "--config", CrashResumeTests.writeConfig(dir), "--drivers", "40", "--duration", "60", "--data-dir", data]
        let first = try await Self.run(common)
        #expect(first.status == 0, "\(first.output)")
        let rows = try CrashResumeTests.businessQueries.map { try CrashResumeTests.rows(data + "/" + $0.0, $0.1) }
        let noFresh = try await Self.run(common + ["--no-fresh"])
        #expect(noFresh.status == 1)
        #expect(noFresh.output.contains("already holds a run (2400 events in 'driver-locations')"), "\(noFresh.output)")
        #expect(noFresh.output.contains("--resume"))
        let resumed = try await Self.run(common + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("the log already holds 2400 events"))
        #expect(try CrashResumeTests.businessQueries.map { try CrashResumeTests.rows(data + "/" + $0.0, $0.1) } == rows)
        #expect(CrashResumeTests.storedEvents(data + "/analytics.sqlite") == 2400)
        let described = try await Self.run(["topics", "describe", "--data-dir", data])
        #expect(described.status == 0, "\(described.output)")
        #expect(described.output.contains("retention 7 d, segments of 256 MiB or 7 d"), "the run's settings: \(described.output)")
        for column in ["log start", "oldest segment", "last written"] { #expect(described.output.contains(column), "\(described.output)") }
        #expect(described.output.contains("00000000000000000000.log"), "\(described.output)")
    }

    @Test func versionAndAMissingDefaultConfigurationSayWhatToDo() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary))
        let dir = TemporaryDirectory("cli")
        defer { dir.remove() }
        let version = try await Self.run(["--version"])
        #expect(version.status == 0)
        #expect(version.output.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(version.output)")
        let elsewhere = try await Self.run(["simulate"], in: dir.path)
        #expect(elsewhere.status == 2)
        #expect(elsewhere.output.contains("Config/ridestream.yaml: no such file"), "\(elsewhere.output)")
        #expect(elsewhere.output.contains("--config FILE"), "\(elsewhere.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no Data directory made")
    }

    /// Under a pseudo-terminal of 80 columns: every frame of the status line fits, and every
    /// other line (scenario steps, the summary) starts on a line of its own.
    @Test func theStatusLineFitsEightyColumnsAndLinesNeverGlueOntoIt() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary))
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "script (util-linux) is needed")
        let dir = TemporaryDirectory("tty")
        defer { dir.remove() }
        let command = "stty cols 80; '\(Self.binary)' simulate --config '\(Self.shippedConfig)' --drivers 300 --duration 450 --data-dir '\(dir.file("data"))'"
        let exit = try await ChildProcess("/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"]).exit()
        #expect(exit.status == 0, "\(exit.output.suffix(2000))")
        // On the scalars: a terminal turns "\n" into "\r\n", which a Swift Character holds whole.
        let output = exit.output
        let scalars = Array(output.unicodeScalars)
        let clear = Array("\r\u{1B}[K".unicodeScalars)
        var frames: [String] = []
        var lastFrame = ""
        var index = 0
        while index + clear.count <= scalars.count {
            guard Array(scalars[index ..< index + clear.count]) == clear else { index += 1; continue }
            var end = index + clear.count
            while end < scalars.count, scalars[end] != "\r", scalars[end] != "\n" { end += 1 }
            // A status frame is overwritten (a clear follows) or ended by `endStatus`; a line
            // printed under the status line ends with its own newline and is not a frame.
            let redrawn = end + clear.count <= scalars.count && Array(scalars[end ..< end + clear.count]) == clear
            let text = String(String.UnicodeScalarView(scalars[(index + clear.count) ..< end]))
            if redrawn { frames.append(text) }
            lastFrame = text
            index = end
        }
        #expect(frames.count > 3, "a status line was drawn: \(output.prefix(500))")
        for frame in frames { #expect(frame.count <= 79, "a frame wider than the terminal: \(frame)") }
        #expect(frames.contains { $0.hasPrefix("tick ") }, "\(frames.prefix(5))")
        for marker in ["scenario at 200 s: added support-2", "scenario at 300 s: crashed fare-2", "scenario at 400 s: removed analytics-3", "== RideStream run:"] {
            let range = try #require(output.range(of: marker), "\(marker) missing: \(output.suffix(1500))")
            let before = Array(output[..<range.lowerBound].unicodeScalars)
            #expect(before.suffix(clear.count).elementsEqual(clear) || before.last == "\n", "\(marker) glued onto the status line: …\(String(String.UnicodeScalarView(before.suffix(80))))")
        }
        #expect(lastFrame.hasPrefix("done") && lastFrame.count <= 79, "the last frame says the run is done: \(lastFrame)")
    }
}
