import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Who holds a data directory, as its `.lock` file records it.
public struct DirectoryHolder: Codable, Hashable, Sendable {
    public var pid: Int32
    /// The command line, e.g. "ridestream simulate --serve".
    public var command: String
    /// When it took the directory (ISO 8601, UTC).
    public var startedAt: String?
    /// The Kafka port it serves, "127.0.0.1:9092", if any.
    public var kafkaAddress: String?

    enum CodingKeys: String, CodingKey {
        case pid, command
        case startedAt = "started_at"
        case kafkaAddress = "kafka"
    }

    /// This process.
    public static var current: DirectoryHolder {
        var arguments = CommandLine.arguments
        if let program = arguments.first { arguments[0] = String(program.split(separator: "/").last ?? Substring(program)) }
        return DirectoryHolder(
            pid: getpid(), command: arguments.joined(separator: " "),
            startedAt: ISO8601DateFormatter().string(from: Date()), kafkaAddress: nil
        )
    }

    /// Another process's command line, from `/proc/<pid>/cmdline`.
    static func command(ofProcess pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
        var parts = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        if let program = parts.first { parts[0] = String(program.split(separator: "/").last ?? Substring(program)) }
        return parts.joined(separator: " ")
    }

    /// "ridestream simulate --serve (pid 1234, since 2026-12-01T10:15:03Z, Kafka port 127.0.0.1:9092)".
    public var description: String {
        var details = ["pid \(pid)"]
        if let startedAt { details.append("since \(startedAt)") }
        if let kafkaAddress { details.append("Kafka port \(kafkaAddress)") }
        return "`\(command)` (\(details.joined(separator: ", ")))"
    }
}
