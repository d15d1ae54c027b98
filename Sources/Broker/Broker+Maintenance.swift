import LogStore
import Logging

extension Broker {
    /// Runs the broker's periodic work until the task is cancelled: due interval flushes every
    /// `tickMs`, and retention every `retentionCheckIntervalMs`. (Group timeouts arm their own
    /// timers.) Tests on a manual clock call `enforceRetention()` instead.
    public func runMaintenance(tickMs: Int = 100) async {
        var lastRetention = clock.milliseconds()
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(tickMs))
            do {
                try flushDueLogs()
                if clock.milliseconds() - lastRetention >= configuration.retentionCheckIntervalMs {
                    lastRetention = clock.milliseconds()
                    try enforceRetention()
                }
            } catch {
                logger.error("broker maintenance failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
