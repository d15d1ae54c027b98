import Foundation

/// Live progress while the simulator produces: events produced, each group's consumed count
/// and lag, and the event rate. On a terminal one line is redrawn four times a second;
/// otherwise a plain line every two seconds.
final class ProgressReporter: @unchecked Sendable {
    private let interactive: Bool
    private let enabled: Bool
    private let output: @Sendable (String) -> Void
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var last: ContinuousClock.Instant
    private var drew = false

    init(interactive: Bool, enabled: Bool, output: @escaping @Sendable (String) -> Void) {
        self.interactive = interactive
        self.enabled = enabled
        self.output = output
        start = clock.now
        last = clock.now
    }

    func due() -> Bool {
        guard enabled else { return false }
        return clock.now - last >= (interactive ? .milliseconds(250) : .seconds(2))
    }

    func report(produced: Int, ticks: Int, of total: Int, fleet: ConsumerFleet?) async {
        let seconds = Stopwatch.seconds(clock.now - start)
        var parts = ["tick \(ticks)/\(total)", "produced \(produced)"]
        for group in GroupName.allCases {
            guard let fleet else { break }
            let consumed = await fleet.consumed(group)
            let running = await fleet.running(group)
            guard running > 0 || consumed > 0 else { continue }
            parts.append("\(group.rawValue) \(consumed) (lag \(max(0, produced - consumed)))")
        }
        parts.append(String(format: "%.0f events/s", Double(produced) / max(seconds, 0.001)))
        report(parts.joined(separator: " | "))
    }

    /// Prints a progress line: redrawn in place on a terminal, else a line of its own.
    func report(_ line: String) {
        last = clock.now
        if interactive {
            FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + line).utf8))
            drew = true
        } else {
            output(line)
        }
    }

    func finish() {
        if drew { FileHandle.standardOutput.write(Data("\n".utf8)) }
    }
}
