import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The one owner of the terminal: every line a run prints — its own messages, scenario steps,
/// log lines — goes through here, so none is glued onto the live status line.
///
/// On a terminal (`interactive`), the status line is redrawn in place and always fits the
/// terminal's width: a line printed while it shows clears it first and redraws it after. Off
/// a terminal (a file, a pipe), there is no status line; progress arrives as plain lines.
public final class Terminal: Sendable {
    public enum Stream: Sendable { case standardOutput, standardError }

    public let interactive: Bool
    private let write: @Sendable (Stream, String) -> Void
    private let width: @Sendable () -> Int
    /// The status line as drawn (already fitted), nil when none is showing.
    private let status = Mutex<String?>(nil)

    /// - Parameters:
    ///   - interactive: whether standard output is a terminal (a status line is drawn).
    ///   - write: where text goes (the process's standard output and error by default).
    ///   - width: the terminal's width in columns (asked of the terminal by default).
    public init(
        interactive: Bool, write: @escaping @Sendable (Stream, String) -> Void = Terminal.writeToProcess,
        width: @escaping @Sendable () -> Int = Terminal.standardOutputWidth
    ) {
        self.interactive = interactive
        self.write = write
        self.width = width
    }

    /// A terminal that collects nothing: for runs whose output nobody reads.
    public static let silent = Terminal(interactive: false, write: { _, _ in })

    /// Writes to the process's standard output or error at once (no buffering), so the order
    /// of lines on a terminal is the order of calls.
    public static let writeToProcess: @Sendable (Stream, String) -> Void = { stream, text in
        let bytes = Array(text.utf8)
        let fd = stream == .standardOutput ? STDOUT_FILENO : STDERR_FILENO
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if result > 0 { written += result } else if errno != EINTR { return }
        }
    }

    /// The width of the terminal on standard output (80 when it cannot tell).
    public static let standardOutputWidth: @Sendable () -> Int = {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// Prints a line of its own (on a terminal, above the status line).
    public func line(_ text: String, to stream: Stream = .standardOutput) {
        status.withLock { shown in
            guard interactive, let shown else { return write(stream, text + "\n") }
            write(.standardOutput, "\r\u{1B}[K")
            write(stream, text + "\n")
            write(.standardOutput, shown)
        }
    }

    /// Shows the status line: the first of `variants` (most detailed first) that fits the
    /// width whole, else as many parts of the last as fit (the first one cut when even it does
    /// not). Parts are joined by " | ". Does nothing off a terminal.
    public func status(_ variants: [[String]]) {
        guard interactive, let last = variants.last else { return }
        let columns = width() - 1
        let whole = variants.first { $0.joined(separator: " | ").count <= columns }
        let fitted = Self.fit(whole ?? last, width: columns)
        status.withLock { shown in
            shown = fitted
            write(.standardOutput, "\r\u{1B}[K" + fitted)
        }
    }

    /// Leaves the status line as it is, on a line of its own: later lines go below it.
    public func endStatus() {
        status.withLock { shown in
            if shown != nil { write(.standardOutput, "\n") }
            shown = nil
        }
    }

    /// The parts that fit in `width` columns, joined by " | ".
    static func fit(_ parts: [String], width: Int) -> String {
        let width = max(1, width)
        var text = ""
        for part in parts {
            let candidate = text.isEmpty ? part : text + " | " + part
            if candidate.count <= width {
                text = candidate
            } else {
                if text.isEmpty { text = String(part.prefix(width)) }
                break
            }
        }
        return text
    }
}
