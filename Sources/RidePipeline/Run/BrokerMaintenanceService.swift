import Broker
import LogStore
import ServiceLifecycle

/// The built-in broker's periodic work as a service: the timed flush, roll by age and
/// retention by time and size, on the intervals of the broker's `MaintenanceSchedule`, until
/// graceful shutdown. Each pass runs on a thread of its own (it syncs and deletes files); a
/// pass that fails is retried after a growing pause (1 s doubling to 30 s), its failures logged
/// by the broker each time.
public final class BrokerMaintenanceService: Service, Sendable {
    public let broker: Broker
    private let worker = ThreadExecutor(name: "ridestream-maintenance")

    public init(broker: Broker) { self.broker = broker }

    public func run() async {
        let broker = broker
        let worker = worker
        await cancelWhenGracefulShutdown {
            var schedule = broker.maintenanceSchedule(startingAt: broker.clock.milliseconds())
            // After a failed pass (a full or failing disk) the next waits longer, up to 30 s,
            // instead of retrying an overdue flush at once, over and over.
            var backoff: Int64 = 0
            while !Task.isCancelled {
                let retention = schedule.retentionDue(at: broker.clock.milliseconds())
                let report = await worker.perform { broker.maintain(retention: retention) }
                backoff = report.failures.isEmpty ? 0 : min(30_000, max(1000, backoff * 2))
                let now = broker.clock.milliseconds()
                let wake = max(schedule.nextWake(after: now, flushDeadline: broker.nextFlushDeadline), now + backoff)
                try? await Task.sleep(for: .milliseconds(max(1, wake - now)))
            }
        }
    }
}
