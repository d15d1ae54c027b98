import Foundation
import Logging

/// A swift-log handler that prints through the run's `Terminal` (on standard error), so log
/// lines start on a line of their own instead of being glued onto the status line.
///
/// Format: `10:15:03 warning ridestream.broker: message key=value ...`.
public struct TerminalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let terminal: Terminal

    public init(label: String, terminal: Terminal, level: Logger.Level = .info) {
        self.label = label
        self.terminal = terminal
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let details = all.keys.sorted().map { "\($0)=\(all[$0]!)" }.joined(separator: " ")
        let time = Self.clockTime()
        terminal.line("\(time) \(event.level) \(label): \(event.message)\(details.isEmpty ? "" : " " + details)", to: .standardError)
    }

    /// The local time of day, "HH:MM:SS".
    private static func clockTime() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
