import CoreMetrics

/// The run's own metrics, recorded where things happen through swift-metrics into the factory
/// the run was given: the dashboard's Prometheus registry, or nothing (`RunMetrics.none`, the
/// default, which costs a no-op call per transaction).
///
/// Names follow Prometheus' conventions (`_total` counters, `_seconds` timings):
/// `ridestream_events_produced_total`, and per group (label `consumergroup`, as
/// kafka_exporter's): `ridestream_sink_transactions_total`, `ridestream_sink_events_total`,
/// `ridestream_sink_rows_total`, `ridestream_sink_commit_seconds` (a histogram of each
/// transaction's time on the writer's thread), `ridestream_rebalances_total`.
public struct RunMetrics: Sendable {
    let factory: any MetricsFactory

    public static let none = RunMetrics(factory: NOOPMetricsHandler.instance)

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// The name of the commit-time histogram, for a factory that sets its buckets.
    public static let commitSeconds = "ridestream_sink_commit_seconds"

    func eventsProduced() -> Counter { Counter(label: "ridestream_events_produced_total", factory: factory) }

    func sink(_ group: GroupName) -> SinkMetrics {
        let dimensions = [("consumergroup", group.rawValue)]
        return SinkMetrics(
            transactions: Counter(label: "ridestream_sink_transactions_total", dimensions: dimensions, factory: factory),
            events: Counter(label: "ridestream_sink_events_total", dimensions: dimensions, factory: factory),
            rows: Counter(label: "ridestream_sink_rows_total", dimensions: dimensions, factory: factory),
            commit: Timer(label: Self.commitSeconds, dimensions: dimensions, factory: factory),
            rebalances: Counter(label: "ridestream_rebalances_total", dimensions: dimensions, factory: factory)
        )
    }
}

/// One group's sink metrics (see `RunMetrics`).
struct SinkMetrics: Sendable {
    let transactions: Counter
    let events: Counter
    let rows: Counter
    let commit: Timer
    let rebalances: Counter

    static let none = RunMetrics.none.sink(.fare)
}
