import Foundation
import Glibc

/// A running `ridestream broker serve` on a free port in a temporary data directory, for
/// clients nobody here wrote. Stopped with SIGTERM (`stop`), which must exit 0 with the logs
/// closed.
///
/// Starting, crashing and stopping are awaited, never waited for on a thread of the
/// concurrency pool (see `ChildProcess`): a test that holds one while its server starts or
/// shuts down starves every other test's consumers of heartbeats. A server a test did not
/// stop (it threw first) is killed when the test lets go of it.
public final class InteropServer: @unchecked Sendable {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static var binary: String { root.appendingPathComponent(".build/debug/ridestream").path }

    private var child: ChildProcess
    /// Standard error of the servers before the current one (after a crash and restart).
    private var earlierLogs = ""
    let extraArguments: [String]
    public let port: Int
    /// The first line `broker serve` printed (the addresses it serves).
    public private(set) var banner: String
    public let dir: TemporaryDirectory

    /// Starts `broker serve` with `extraArguments` and waits for the line naming its port.
    public static func start(_ extraArguments: [String] = ["--default-partitions", "3"]) async throws -> InteropServer {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw InteropError("build the executable first: \(binary)")
        }
        let dir = TemporaryDirectory("kafka-port")
        let (child, port, banner) = try await launch(port: 0, dir: dir, extraArguments: extraArguments)
        return InteropServer(child: child, port: port, banner: banner, dir: dir, extraArguments: extraArguments)
    }

    private init(child: ChildProcess, port: Int, banner: String, dir: TemporaryDirectory, extraArguments: [String]) {
        self.child = child
        self.port = port
        self.banner = banner
        self.dir = dir
        self.extraArguments = extraArguments
    }

    deinit {
        if child.isRunning { child.signal(SIGKILL) }
        dir.remove()
    }

    /// Starts `broker serve` and reads the port it reports on its first line.
    private static func launch(port: Int, dir: TemporaryDirectory, extraArguments: [String]) async throws -> (ChildProcess, Int, String) {
        let child = try ChildProcess(
            binary, ["broker", "serve", "--port", String(port), "--data-dir", dir.path] + extraArguments, errors: .separate
        )
        _ = await eventually(timeoutMs: 60_000) { child.output.contains("\n") || !child.isRunning }
        let line = String(child.output.prefix { $0 != "\n" })
        guard let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
              let port = Int(line[range].split(separator: ":").last!) else {
            if child.isRunning { child.signal(SIGKILL) }
            let exit = await child.exit()
            throw InteropError("broker serve did not report its port: \(line)\(exit.errors.suffix(2000))")
        }
        return (child, port, line + "\n")
    }

    /// The server's process id.
    public var pid: Int32 { child.pid }

    /// Kills the server with SIGKILL, as a crash would, and starts it again on the same port
    /// and data directory.
    public func crashAndRestart() async throws {
        child.signal(SIGKILL)
        earlierLogs += await child.exit().errors
        (child, _, banner) = try await Self.launch(port: port, dir: dir, extraArguments: extraArguments)
    }

    public var bootstrap: String { "127.0.0.1:\(port)" }

    /// The server's log so far (standard error), for failure messages.
    public var log: String { earlierLogs + child.errorOutput }

    /// Stops the server with SIGTERM and returns its exit status; removes its data directory.
    public func stop() async -> Int32 {
        child.signal(SIGTERM)
        let exit = await child.exit()
        dir.remove()
        return exit.signalled ? 128 + exit.status : exit.status
    }
}

public struct InteropError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
