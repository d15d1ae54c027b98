import Foundation
import TestSupport
import Testing

/// The suites that drive external clients against a running server. Serialized, so that the
/// servers, clients and simulations they start do not all compete for the machine at once.
@Suite(.serialized) enum Interop {}

/// A running `ridestream broker serve` on a free port in a temporary data directory, for
/// clients nobody here wrote. Stopped with SIGTERM, which must exit 0 with the logs closed.
final class InteropServer: @unchecked Sendable {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var binary: String { root.appendingPathComponent(".build/debug/ridestream").path }

    let process = Process()
    let output = Pipe()
    let errors: URL
    let port: Int
    let dir = TemporaryDirectory("kafka-port")

    init(_ extraArguments: [String] = ["--default-partitions", "3"]) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the executable first: \(Self.binary)")
        errors = URL(fileURLWithPath: dir.path + ".log")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["broker", "serve", "--port", "0", "--data-dir", dir.path] + extraArguments
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errors)
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
        self.port = port
    }

    var bootstrap: String { "127.0.0.1:\(port)" }

    /// The server's log so far (standard error), for failure messages.
    var log: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }

    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        dir.remove()
        try? FileManager.default.removeItem(at: errors)
        return process.terminationStatus
    }
}

struct InteropError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
