import CPUTime
import Foundation

extension StageBreakdown {
    /// The breakdown as a table: per stage, what it covers, its CPU seconds, its share of the
    /// process's CPU time and its microseconds per event; then the stages' sum against the
    /// process's CPU time (all threads), and what no stage accounts for.
    public func lines(events: Int) -> [String] {
        var table = TextTable([.left, .left, .right, .right, .right])
        table.append(["stage", "covers", "CPU s", "share", "µs/event"])
        func row(_ name: String, _ covers: String, _ seconds: Double) {
            let share = processSeconds > 0 ? seconds / processSeconds * 100 : 0
            let perEvent = events > 0 ? seconds / Double(events) * 1e6 : 0
            table.append([name, covers, String(format: "%.2f", seconds), String(format: "%.1f%%", share), String(format: "%.2f", perEvent)])
        }
        for stage in Stage.allCases { row(stage.name, stage.covers, self[stage]) }
        row("all stages", "", stagesSeconds)
        row("unattributed", "runtime, scheduling, groups", unattributed)
        row("process", "every thread", processSeconds)
        return table.lines()
    }
}
