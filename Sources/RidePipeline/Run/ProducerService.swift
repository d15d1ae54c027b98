import KafkaWire
import LogStore
import RideModel
import ServiceLifecycle

/// The driver simulator as a service: produces the run's events tick by tick, applies the
/// scenario's steps at their simulated seconds, and, when done (or on graceful shutdown, at
/// the end of the current tick), flushes the producer and publishes the log's final ends in
/// the `RunState`, which is what the groups drain to.
///
/// The simulation runs on a thread of its own (`ProductionLoop`), not on the concurrency
/// pool, so the pool's threads stay free for the consumers; a full producer suspends it
/// instead of blocking a thread.
final class ProducerService: Service, Sendable {
    private let loop: ProductionLoop
    /// The groups to wait for before producing, and to apply scenario steps to.
    private let fleets: [GroupName: GroupFleet]
    private let partitionCount: Int

    init(
        configuration: PipelineConfiguration, log: any EventLog, partitionCount: Int, state: RunState, fleets: [GroupName: GroupFleet],
        scenario: [ScenarioStep], alreadyProduced: ProducedEvents?, terminal: Terminal
    ) {
        self.fleets = fleets
        self.partitionCount = partitionCount
        loop = ProductionLoop(
            configuration: configuration, log: log, partitionCount: partitionCount, state: state, fleets: fleets, scenario: scenario,
            alreadyProduced: alreadyProduced, terminal: terminal
        )
    }

    func run() async throws {
        for fleet in fleets.values.sorted(by: { $0.group < $1.group }) {
            await fleet.waitUntilSettled(partitionCount: partitionCount)
        }
        try await loop.run()
    }
}

/// The simulation loop itself, isolated to a thread of its own.
actor ProductionLoop {
    private let executor = ThreadExecutor(name: "ridestream-simulator")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let configuration: PipelineConfiguration
    private let log: any EventLog
    private let partitionCount: Int
    private let state: RunState
    private let fleets: [GroupName: GroupFleet]
    private let scenario: [ScenarioStep]
    private let alreadyProduced: ProducedEvents?
    private let terminal: Terminal

    init(
        configuration: PipelineConfiguration, log: any EventLog, partitionCount: Int, state: RunState, fleets: [GroupName: GroupFleet],
        scenario: [ScenarioStep], alreadyProduced: ProducedEvents?, terminal: Terminal
    ) {
        self.configuration = configuration
        self.log = log
        self.partitionCount = partitionCount
        self.state = state
        self.fleets = fleets
        self.scenario = scenario
        self.alreadyProduced = alreadyProduced
        self.terminal = terminal
    }

    func run() async throws(PipelineError) {
        let producer = try log.makeProducer(EventProducerSettings(
            topic: configuration.topic, batchBytes: configuration.producerBatchBytes, lingerMs: configuration.producerLingerMs
        ))
        let partitioner = RegionPartitioner(table: configuration.partitionTable, partitionCount: partitionCount)
        var simulator = Simulator(settings: configuration.simulatorSettings)
        let ticks = configuration.ticks
        var pendingSteps = scenario[...]
        var produced = 0
        var stoppedEarly = false
        let clock = ContinuousClock()
        let start = clock.now
        state.update { snapshot in
            snapshot.phase = .producing
            snapshot.productionStarted = start
        }
        for tick in 0 ..< ticks {
            if Task.isShuttingDownGracefully {
                stoppedEarly = true
                break
            }
            let second = configuration.second(ofTick: tick)
            while let step = pendingSteps.first, step.atSeconds <= second {
                pendingSteps.removeFirst()
                guard let fleet = fleets[step.group] else { continue }
                let done = try await fleet.apply(step.action)
                state.update { $0.scenario.append(done) }
                terminal.line("scenario at \(step.atSeconds) s: \(done)")
            }
            if configuration.realtime {
                let due = start + .milliseconds(Int64(tick) * configuration.tickMs)
                _ = await cancelWhenGracefulShutdown { try? await Task.sleep(until: due, clock: clock) }
                if Task.isShuttingDownGracefully {
                    stoppedEarly = true
                    break
                }
            }
            for event in simulator.step() {
                if let alreadyProduced, alreadyProduced.contains(event) { continue }
                let key = Array(event.driverId.utf8)
                try await producer.send(
                    partition: PartitionID(partitioner.partition(region: event.region, key: key)), key: key, value: event.json(),
                    headers: [("region", Array(event.region.utf8))], timestamp: event.ts
                )
                produced += 1
            }
            let done = tick + 1
            state.update { snapshot in
                snapshot.ticks = done
                snapshot.produced = produced
            }
        }
        try await producer.close()
        var ends: [PartitionID: Offset] = [:]
        for partition in (0 ..< partitionCount).map(PartitionID.init) {
            ends[partition] = try await log.bounds(configuration.topic, partition: partition).end
        }
        state.endProduction(logEnds: ends, stoppedEarly: stoppedEarly)
    }
}

extension PipelineConfiguration {
    /// Ticks in the run: `duration` over `tick`.
    public var ticks: Int { Int((Int64(durationSeconds) * 1000) / tickMs) }

    /// The simulated second a tick starts at.
    public func second(ofTick tick: Int) -> Int { Int(Int64(tick) * tickMs / 1000) }
}
