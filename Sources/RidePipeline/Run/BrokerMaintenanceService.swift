import Broker
import LogStore
import ServiceLifecycle

/// The built-in broker's periodic work as a service: the timed flush, roll by age and
/// retention by time and size, on the intervals of the broker's `MaintenanceSchedule`, until
/// graceful shutdown. Each pass runs on a thread of its own (it syncs and deletes files).
public final class BrokerMaintenanceService: Service, Sendable {
    public let broker: Broker
    private let worker = ThreadExecutor(name: "ridestream-maintenance")

    public init(broker: Broker) { self.broker = broker }

    public func run() async {
        let broker = broker
        let worker = worker
        await cancelWhenGracefulShutdown {
            var schedule = broker.maintenanceSchedule(startingAt: broker.clock.milliseconds())
            while !Task.isCancelled {
                let retention = schedule.retentionDue(at: broker.clock.milliseconds())
                _ = await worker.perform { broker.maintain(retention: retention) }
                let now = broker.clock.milliseconds()
                let wake = schedule.nextWake(after: now, flushDeadline: broker.nextFlushDeadline)
                try? await Task.sleep(for: .milliseconds(max(1, wake - now)))
            }
        }
    }
}
