import LogStore
import Logging

extension Broker {
    /// Runs the broker's timers until the task is cancelled: group timeouts every
    /// `tickMs`, due interval flushes, and retention every `retentionCheckIntervalMs`.
    /// Tests on a manual clock call `coordinator.tick()` and `enforceRetention()` instead.
    public func runMaintenance(tickMs: Int = 100) async {
        var lastRetention = clock.milliseconds()
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(tickMs))
            await coordinator.tick()
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
