import KafkaWire
import RideModel
import RidePipeline

/// The dashboard's snapshot of a finished run read from its data directory (`StoredRun`),
/// for `ridestream dashboard`: what the live page showed when the run ended, rebuilt from the
/// files. The city's drivers are where the support database last saw them; each group's
/// consumers are the last generation's members (running to the end) and the others that wrote
/// batches (stopped, or crashed where the timeline says so); lag over time is the report's.
///
/// `configuration` gives the regions' boxes and the seed when the run was made with it
/// (`settingsMatch`); otherwise boxes come from the drivers' positions and no seed is shown.
public enum StoredRunView {
    public static func snapshot(_ run: StoredRun, configuration: PipelineConfiguration, settingsMatch: Bool) -> DashboardSnapshot {
        let topic = run.topic ?? configuration.topic
        let startMs = run.report.startMs ?? configuration.startTime
        let endMs = (run.drivers?.simulatedMs ?? startMs) + (settingsMatch ? configuration.tickMs : 0)
        let second = Double(endMs - startMs) / 1000
        var regionsOf: [Int: [String]] = [:]
        for (region, partitions) in run.regionPartitions { for partition in partitions { regionsOf[partition, default: []].append(region) } }
        let partitions = run.partitions.enumerated().map { index, bounds in
            DashboardSnapshot.Partition(
                topic: topic, partition: index, regions: (regionsOf[index] ?? []).sorted(), logStart: bounds.start.rawValue,
                logEnd: bounds.end.rawValue, eventsPerSecond: 0
            )
        }
        let events = partitions.reduce(0) { $0 + Int($1.logEnd) }
        return DashboardSnapshot(
            run: .init(
                phase: RunState.Phase.finished.rawValue, topic: topic, seed: settingsMatch ? configuration.seed : nil,
                drivers: run.drivers?.drivers.count ?? 0, durationSeconds: Int(second.rounded(.up)), simulatedSecond: second,
                eventsProduced: events, eventsInLog: events, speed: nil, wallSeconds: 0, scenario: [],
                happened: ["read from \(run.report.dataDirectory) after the run (ridestream dashboard): nothing here changes it"],
                controllable: false
            ),
            broker: nil, regions: regions(run, configuration: configuration, settingsMatch: settingsMatch),
            map: RunWatcher.map(run.drivers, startMs: startMs), partitions: partitions,
            groups: run.report.groups.compactMap { group(run, $0, partitions: partitions) }
        )
    }

    private static func group(_ run: StoredRun, _ group: RunReport.Group, partitions: [DashboardSnapshot.Partition]) -> DashboardSnapshot.Group? {
        guard let name = GroupName(rawValue: group.name) else { return nil }
        let last = group.timeline.last
        var owners: [Int: String] = [:]
        for (member, owned) in last?.assignment ?? [:] { for partition in owned { owners[partition] = member } }
        var writes: [String: (events: Int, transactions: Int)] = [:]
        for consumer in group.consumers {
            writes[consumer.id, default: (0, 0)].events += consumer.events
            writes[consumer.id, default: (0, 0)].transactions += consumer.transactions
        }
        let members = Set(last?.assignment.keys.map { $0 } ?? [])
        let names = members.union(writes.keys).sorted { ($0.count, $0) < ($1.count, $1) }
        let consumers = names.map { name -> DashboardSnapshot.Consumer in
            let owned = (last?.assignment[name] ?? []).sorted()
            let state = members.contains(name) ? "running" : crashed(name, in: group.timeline) ? "crashed" : "stopped"
            return .init(
                id: name, state: state, partitions: owned, idle: members.contains(name) && owned.isEmpty, events: writes[name]?.events ?? 0,
                transactions: writes[name]?.transactions ?? 0
            )
        }
        let stored = run.stored[name] ?? [:]
        let lags = partitions.map { partition -> DashboardSnapshot.PartitionLag in
            let offset = stored[partition.partition] ?? 0
            let lag = max(0, partition.logEnd - offset)
            return .init(
                topic: partition.topic, partition: partition.partition, owner: owners[partition.partition], stored: offset, lag: lag,
                secondsBehind: lag == 0 ? 0 : nil
            )
        }
        var history = LagHistory.Series()
        for point in group.lag where point.lag != nil {  // a file without offsets has no lag in events
            history.second.append(point.second)
            history.lag.append(point.lag ?? 0)
            history.secondsBehind.append(point.secondsBehind)
        }
        let total = lags.reduce(Int64(0)) { $0 + ($1.lag ?? 0) }
        return DashboardSnapshot.Group(
            name: group.name, database: group.database, generation: last?.generation ?? 0, stable: true, state: nil, consumers: consumers,
            partitions: lags, lag: total, secondsBehind: total == 0 ? 0 : nil, events: group.events, transactions: group.transactions,
            history: history, timeline: RunWatcher.slim(group.timeline)
        )
    }

    /// Whether the generation that lost `name` says it crashed (its session timed out).
    private static func crashed(_ name: String, in timeline: [RecordedRebalance]) -> Bool {
        guard let gone = timeline.indices.first(where: { index in
            index > 0 && timeline[index - 1].assignment[name] != nil && timeline[index].assignment[name] == nil
        }) else { return false }
        return timeline[gone].cause.contains(RebalanceRecord.Cause.sessionTimeout.rawValue) && timeline[gone].story.contains("\(name) crashed")
    }

    /// The configuration's boxes for regions it has (when the run was made with it), else
    /// the box around the drivers last seen in the region.
    private static func regions(_ run: StoredRun, configuration: PipelineConfiguration, settingsMatch: Bool) -> [DashboardSnapshot.Region] {
        let names = Set(run.regionPartitions.keys).union(run.regions).sorted()
        return names.compactMap { name in
            let partitions = (run.regionPartitions[name] ?? []).sorted()
            if settingsMatch, let region = configuration.regions.first(where: { $0.name == name }) {
                return .init(name: name, box: [region.box.minLat, region.box.maxLat, region.box.minLon, region.box.maxLon], partitions: partitions)
            }
            guard let index = run.regions.firstIndex(of: name),
                  let drivers = run.drivers?.drivers.filter({ $0.region == index }), !drivers.isEmpty
            else { return nil }
            let lats = drivers.map(\.lat), lons = drivers.map(\.lon)
            return .init(name: name, box: [lats.min()!, lats.max()!, lons.min()!, lons.max()!], partitions: partitions)
        }
    }
}
