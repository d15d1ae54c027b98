import CoreMetrics
import Prometheus
import RidePipeline
import Synchronization

/// `/metrics` in Prometheus' text format, through swift-prometheus: a registry that the run's
/// own metrics (`RunMetrics`) are recorded into as things happen, plus gauges set from a
/// `ClusterView` at each scrape.
///
/// Gauge names are kafka_exporter's where it has one, so dashboards built for it work:
/// `kafka_topic_partitions{topic}`, `kafka_topic_partition_current_offset{topic,partition}`
/// (the high watermark), `kafka_topic_partition_oldest_offset`,
/// `kafka_consumergroup_current_offset{consumergroup,topic,partition}` (committed in the log),
/// `kafka_consumergroup_lag` (current minus committed), `kafka_consumergroup_members`. A
/// RideStream sink adds `ridestream_sink_stored_offset` and `ridestream_sink_lag`, from its
/// database. A series whose partition or group is gone is dropped at the next scrape.
///
/// Scrapes may overlap (two Prometheus servers, a slow view): each takes a ticket before it
/// reads its view, and a view older than one already applied is not applied, so no gauge
/// ever goes back to an older value.
public final class PrometheusExporter: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let gauges = Mutex<(applied: UInt64, series: [GaugeKey: Prometheus.Gauge])>((0, [:]))
    private let tickets = Atomic<UInt64>(0)

    private struct GaugeKey: Hashable {
        var name: String
        var labels: [String]
    }

    public init() {}

    /// Where a run records its `ridestream_*` metrics: this registry, with commit-time buckets
    /// from 100 µs to 10 s.
    public var runMetrics: RunMetrics {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[RunMetrics.commitSeconds] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(10),
        ]
        return RunMetrics(factory: factory)
    }

    /// Taken before a scrape reads its view (see the type's notes).
    public func ticket() -> UInt64 { tickets.add(1, ordering: .relaxed).newValue }

    /// The text of a scrape: `view`'s gauges set (unless a newer view was applied already),
    /// every metric of the registry written out.
    public func scrape(_ view: ClusterView?, ticket: UInt64? = nil) -> [UInt8] {
        if let view { update(view, ticket: ticket ?? self.ticket()) }
        return registry.emitToBuffer()
    }

    private func update(_ view: ClusterView, ticket: UInt64) {
        var values: [GaugeKey: (labels: [(String, String)], help: String, value: Double)] = [:]
        func set(_ name: String, _ labels: [(String, String)], _ value: Int64, _ help: String) {
            values[GaugeKey(name: name, labels: labels.map { "\($0.0)=\($0.1)" })] = (labels, help, Double(value))
        }
        var current: [String: [Int32: Int64]] = [:]
        for topic in Set(view.partitions.map(\.topic)) {
            set("kafka_topic_partitions", [("topic", topic)], Int64(view.partitions.filter { $0.topic == topic }.count), "Number of partitions of the topic")
        }
        for partition in view.partitions {
            let labels = [("topic", partition.topic), ("partition", String(partition.partition))]
            set("kafka_topic_partition_current_offset", labels, partition.currentOffset, "The partition's high watermark: the offset the next readable record gets")
            set("kafka_topic_partition_oldest_offset", labels, partition.oldestOffset, "The partition's log start offset: the oldest offset retention kept")
            current[partition.topic, default: [:]][partition.partition] = partition.currentOffset
        }
        for group in view.groups {
            set("kafka_consumergroup_members", [("consumergroup", group.name)], Int64(group.members), "Members of the consumer group")
            for committed in group.committed {
                let labels = [("consumergroup", group.name), ("topic", committed.topic), ("partition", String(committed.partition))]
                set("kafka_consumergroup_current_offset", labels, committed.offset, "The group's committed offset in the log")
                if let end = current[committed.topic]?[committed.partition] {
                    set("kafka_consumergroup_lag", labels, max(0, end - committed.offset), "Records between the committed offset and the high watermark")
                }
            }
        }
        if let topic = view.sinkTopic {
            for (group, stored) in view.stored {
                for (partition, end) in current[topic] ?? [:] {
                    let offset = stored[partition] ?? 0
                    let labels = [("consumergroup", group), ("topic", topic), ("partition", String(partition))]
                    set("ridestream_sink_stored_offset", labels, offset, "The next offset the group's database stored, in the same transaction as its rows")
                    set("ridestream_sink_lag", labels, max(0, end - offset), "Records between the database's stored offset and the high watermark")
                }
            }
        }
        gauges.withLock { gauges in
            guard ticket > gauges.applied else { return }
            gauges.applied = ticket
            for (key, gauge) in gauges.series where values[key] == nil {
                registry.unregisterGauge(gauge)
                gauges.series[key] = nil
            }
            for (key, value) in values {
                let gauge = gauges.series[key] ?? registry.makeGauge(name: key.name, labels: value.labels, help: value.help)
                gauges.series[key] = gauge
                gauge.set(value.value)
            }
        }
    }
}
