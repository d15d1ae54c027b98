import Logging
import RidePipeline
#if canImport(Glibc)
import Glibc
#endif

/// The process's one `Terminal`, and swift-log routed through it, so that log lines never
/// glue onto the status line.
enum CommandLineTerminal {
    static let shared: Terminal = {
        let terminal = Terminal(interactive: isatty(STDOUT_FILENO) == 1)
        LoggingSystem.bootstrap { label in TerminalLogHandler(label: label, terminal: terminal) }
        return terminal
    }()
}
