import KafkaWire
import RideModel
import RidePipeline

/// Builds the dashboard's snapshots of one run, sample after sample: what a `LiveRun` says
/// now, plus what only a watcher can know, each partition's append rate (the change of its
/// log end since the previous sample) and each group's lag over time (`LagHistory`).
///
/// Used from one task at a time (the dashboard's sampler); the wall clock is passed in, so
/// tests drive it sample by sample.
public struct RunWatcher: Sendable {
    private var histories: [String: LagHistory] = [:]
    private var previousEnds: [Int: Int64] = [:]
    private var previousWall: Double?
    private var timelines: [String: (generation: Int32, timeline: [RecordedRebalance])] = [:]
    /// The last snapshot built.
    public private(set) var latest: DashboardSnapshot?

    public init() {}

    /// A snapshot of `run` now; `wallSeconds` is the wall time since watching began.
    public mutating func sample(_ run: LiveRun, wallSeconds: Double) async -> DashboardSnapshot {
        let configuration = run.configuration
        let state = run.state.snapshot
        let simulatedMs = state.simulatedMs ?? configuration.startTime
        let second = Double(simulatedMs - configuration.startTime) / 1000

        var partitions: [DashboardSnapshot.Partition] = []
        let regionsOf = configuration.regionsByPartition(count: run.partitionCount)
        let interval = previousWall.map { wallSeconds - $0 } ?? 0
        var allBounds: [LogBounds?] = []
        for partition in 0 ..< run.partitionCount {
            allBounds.append(try? await run.log.bounds(configuration.topic, partition: PartitionID(Int32(partition))))
        }
        // A log that no longer answers has closed at the end of the run: keep the last view
        // until `finish` gives the final one (a Kafka cluster's hiccup skips a sample too).
        if let latest, allBounds.contains(where: { $0 == nil }) { return latest }
        for partition in 0 ..< run.partitionCount {
            let id = PartitionID(Int32(partition))
            let bounds = allBounds[partition]
            let end = bounds?.end.rawValue ?? state.logEnds?[id]?.rawValue ?? previousEnds[partition] ?? 0
            let rate = interval > 0 ? Double(end - (previousEnds[partition] ?? end)) / interval : 0
            partitions.append(.init(
                topic: configuration.topic, partition: partition, regions: regionsOf[partition], logStart: bounds?.start.rawValue ?? 0, logEnd: end, eventsPerSecond: rate.rounded()
            ))
            previousEnds[partition] = end
        }
        previousWall = wallSeconds

        var groups: [DashboardSnapshot.Group] = []
        for group in run.groups {
            let description = await run.log.describeGroup(group.rawValue)
            let consumers = await run.consumers(group)
            let stored = await run.stored(group)
            let generation = description?.generation ?? 0
            // Re-read when the generation moved or is moving, or the leader has not recorded
            // it yet (its row follows the sync); a log that cannot describe its groups (a
            // Kafka cluster) gets it re-read every time. The query reads a few rows.
            let cached = timelines[group.rawValue]
            if cached?.generation != generation || description?.stable != true || (cached?.timeline.last?.generation ?? 0) < generation {
                timelines[group.rawValue] = (generation, Self.slim(await run.timeline(group)))
            }
            groups.append(makeGroup(
                group.rawValue, consumers: consumers, stored: stored, generation: generation, stable: description?.stable ?? true,
                offsets: state.stored[group] ?? [:], throughMs: state.storedThroughMs[group] ?? [:], partitions: partitions,
                producedMs: state.simulatedMs, second: second, timeline: timelines[group.rawValue]?.timeline ?? [],
                database: configuration.dataDirectory + "/" + group.databaseFile
            ))
        }
        let snapshot = DashboardSnapshot(
            run: .init(
                phase: state.phase.rawValue, topic: configuration.topic, seed: configuration.seed, drivers: configuration.drivers,
                durationSeconds: configuration.durationSeconds, simulatedSecond: second, eventsProduced: state.produced,
                eventsInLog: state.eventsInLog, speed: configuration.pace, wallSeconds: wallSeconds,
                scenario: configuration.scenario.map { .init(atSeconds: $0.atSeconds, action: $0.action.rawValue, group: $0.group.rawValue) },
                happened: state.scenario, controllable: state.phase == .starting || state.phase == .producing
            ),
            broker: nil, regions: Self.regions(configuration), map: Self.map(run.drivers.frame, startMs: configuration.startTime),
            partitions: partitions, groups: groups
        )
        latest = snapshot
        return snapshot
    }

    /// The run's last snapshot once it has finished: the summary's counts and timelines, every
    /// group caught up to the final log ends (a stopped run's included).
    public mutating func finish(_ summary: RunSummary, state: RunState, wallSeconds: Double) -> DashboardSnapshot? {
        guard var snapshot = latest else { return nil }
        let final = state.snapshot
        snapshot.run?.phase = RunState.Phase.finished.rawValue
        snapshot.run?.controllable = false
        snapshot.run?.wallSeconds = wallSeconds
        snapshot.run?.eventsProduced = final.produced
        snapshot.run?.eventsInLog = final.eventsInLog
        snapshot.run?.happened = final.scenario
        for index in snapshot.partitions.indices {
            let partition = snapshot.partitions[index].partition
            if summary.eventsPerPartition.indices.contains(partition) { snapshot.partitions[index].logEnd = Int64(summary.eventsPerPartition[partition]) }
            snapshot.partitions[index].eventsPerSecond = 0
        }
        snapshot.groups = snapshot.groups.map { group in
            guard let done = summary.groups[group.name], let name = GroupName(rawValue: group.name) else { return group }
            return makeGroup(
                group.name, consumers: done.consumers, stored: (done.transactions, done.events), generation: done.generation, stable: true,
                offsets: final.stored[name] ?? [:], throughMs: final.storedThroughMs[name] ?? [:], partitions: snapshot.partitions,
                producedMs: final.simulatedMs, second: snapshot.run?.simulatedSecond ?? 0, timeline: Self.slim(done.timeline), database: done.database,
                keep: true
            )
        }
        latest = snapshot
        return snapshot
    }

    private mutating func makeGroup(
        _ name: String, consumers: [RunSummary.Consumer], stored: (transactions: Int, events: Int), generation: Int32, stable: Bool,
        offsets: [PartitionID: Offset], throughMs: [PartitionID: Int64], partitions: [DashboardSnapshot.Partition], producedMs: Int64?,
        second: Double, timeline: [RecordedRebalance], database: String, keep: Bool = false
    ) -> DashboardSnapshot.Group {
        var owners: [Int: String] = [:]
        for consumer in consumers where consumer.state == .running { for partition in consumer.partitions { owners[partition] = consumer.id } }
        var lags: [DashboardSnapshot.PartitionLag] = []
        for partition in partitions {
            let id = PartitionID(Int32(partition.partition))
            let storedOffset = offsets[id]?.rawValue ?? 0
            let lag = max(0, partition.logEnd - storedOffset)
            var behind: Double?
            if lag == 0 {
                behind = 0
            } else if let producedMs, let through = throughMs[id] {
                behind = max(0, Double(producedMs - through) / 1000)
            }
            lags.append(.init(
                topic: partition.topic, partition: partition.partition, owner: owners[partition.partition], stored: storedOffset, lag: lag,
                secondsBehind: behind
            ))
        }
        let total = lags.reduce(Int64(0)) { $0 + ($1.lag ?? 0) }
        let behind: Double? = lags.contains { $0.secondsBehind == nil } ? nil : lags.map { $0.secondsBehind ?? 0 }.max() ?? 0
        histories[name, default: LagHistory()].append(second: second, lag: total, secondsBehind: behind, keep: keep)
        return DashboardSnapshot.Group(
            name: name, database: database, generation: generation, stable: stable, state: nil,
            consumers: consumers.map {
                .init(id: $0.id, state: $0.state.rawValue, partitions: $0.partitions, idle: $0.idle, events: $0.records, transactions: $0.transactions)
            },
            partitions: lags, lag: total, secondsBehind: behind, events: stored.events, transactions: stored.transactions,
            history: histories[name]!.series, timeline: timeline
        )
    }

    /// A timeline as the page shows it: the moves, not every generation's whole assignment
    /// (which a group of many partitions would send twice a second for nothing).
    static func slim(_ timeline: [RecordedRebalance]) -> [RecordedRebalance] {
        timeline.map { rebalance in
            var slim = rebalance
            slim.assignment = [:]
            return slim
        }
    }

    static func regions(_ configuration: PipelineConfiguration) -> [DashboardSnapshot.Region] {
        let table = configuration.partitionTable
        return configuration.regions.map {
            .init(name: $0.name, box: [$0.box.minLat, $0.box.maxLat, $0.box.minLon, $0.box.maxLon], partitions: table[$0.name] ?? [])
        }
    }

    /// The frame's drivers, every k-th beyond `DashboardSnapshot.mapLimit`, to about a metre.
    static func map(_ frame: DriverPositions.Frame?, startMs: Int64) -> DashboardSnapshot.Map? {
        guard let frame else { return nil }
        let statuses = DriverStatus.allCases
        let sampled = max(1, (frame.drivers.count + DashboardSnapshot.mapLimit - 1) / DashboardSnapshot.mapLimit)
        var map = DashboardSnapshot.Map(
            simulatedSecond: Double(frame.simulatedMs - startMs) / 1000, lat: [], lon: [], status: [], statuses: statuses.map(\.rawValue),
            sampled: sampled
        )
        for index in Swift.stride(from: 0, to: frame.drivers.count, by: sampled) {
            let driver = frame.drivers[index]
            map.lat.append((driver.lat * 100_000).rounded() / 100_000)
            map.lon.append((driver.lon * 100_000).rounded() / 100_000)
            map.status.append(statuses.firstIndex(of: driver.status) ?? 0)
        }
        return map
    }
}
