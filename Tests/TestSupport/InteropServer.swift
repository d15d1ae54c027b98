import Foundation

/// A running `ridestream broker serve` on a free port in a temporary data directory, for
/// clients nobody here wrote. Stopped with SIGTERM, which must exit 0 with the logs closed.
public final class InteropServer: @unchecked Sendable {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static var binary: String { root.appendingPathComponent(".build/debug/ridestream").path }

    public private(set) var process: Process
    let errors: URL
    let extraArguments: [String]
    public let port: Int
    /// The first line `broker serve` printed (the addresses it serves).
    public private(set) var banner: String
    public let dir = TemporaryDirectory("kafka-port")

    public init(_ extraArguments: [String] = ["--default-partitions", "3"]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw InteropError("build the executable first: \(Self.binary)")
        }
        errors = URL(fileURLWithPath: dir.path + ".log")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        self.extraArguments = extraArguments
        (process, port, banner) = try Self.launch(port: 0, dir: dir, extraArguments: extraArguments, errors: errors)
    }

    /// Starts `broker serve` and reads the port it reports on its first line.
    private static func launch(port: Int, dir: TemporaryDirectory, extraArguments: [String], errors: URL) throws -> (Process, Int, String) {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["broker", "serve", "--port", String(port), "--data-dir", dir.path] + extraArguments
        process.standardOutput = output
        let errorHandle = try FileHandle(forWritingTo: errors)
        errorHandle.seekToEndOfFile()
        process.standardError = errorHandle
        try process.run()
        var line = ""
        while !line.contains("\n") {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { break }
            line += String(decoding: data, as: UTF8.self)
        }
        guard let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
              let port = Int(line[range].split(separator: ":").last!) else {
            throw InteropError("broker serve did not report its port: \(line)")
        }
        return (process, port, line)
    }

    /// Kills the server with SIGKILL, as a crash would, and starts it again on the same port
    /// and data directory.
    public func crashAndRestart() throws {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        (process, _, banner) = try Self.launch(port: port, dir: dir, extraArguments: extraArguments, errors: errors)
    }

    public var bootstrap: String { "127.0.0.1:\(port)" }

    /// The server's log so far (standard error), for failure messages.
    public var log: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }

    public func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        dir.remove()
        try? FileManager.default.removeItem(at: errors)
        return process.terminationStatus
    }
}

public struct InteropError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
