import CoreMetrics
import CPUTime
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

    init(_ production: ProductionLoop.Production) {
        loop = ProductionLoop(production)
    }

    func run() async throws {
        let production = loop.production
        // The first events go to a settled generation, not a short-lived early one; a stop
        // asked meanwhile ends the wait (the loop then stops before its first tick).
        await cancelWhenGracefulShutdown {
            for fleet in production.fleets.values.sorted(by: { $0.group < $1.group }) {
                await fleet.waitUntilSettled(partitionCount: production.partitionCount)
            }
        }
        try await loop.run()
    }
}

/// The simulation loop itself, isolated to a thread of its own.
actor ProductionLoop {
    /// What to produce, where, and whom to tell.
    struct Production: Sendable {
        var configuration: PipelineConfiguration
        var log: any EventLog
        var partitionCount: Int
        var state: RunState
        /// The groups to wait for before producing, and to apply scenario steps to.
        var fleets: [GroupName: GroupFleet] = [:]
        var scenario: [ScenarioStep] = []
        /// What an interrupted run already put in the log (`--resume`).
        var resumePoint: ResumePoint?
        var terminal: Terminal
        var metrics = RunMetrics.none
        /// Where the live map reads the drivers' positions, if anyone watches.
        var drivers: DriverPositions?
    }

    /// One event ready to send.
    private struct Encoded {
        var partition: PartitionID
        var key: [UInt8]
        var value: [UInt8]
        var headers: [RecordHeader]
        var timestamp: Int64
    }

    private let executor = ThreadExecutor(name: "ridestream-simulator")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    nonisolated let production: Production

    init(_ production: Production) { self.production = production }

    func run() async throws(PipelineError) {
        let (configuration, log, state, terminal) = (production.configuration, production.log, production.state, production.terminal)
        let (partitionCount, fleets, stages) = (production.partitionCount, production.fleets, Optional(production.state.stages))
        var stored = production.resumePoint.map(ResumePoint.Cursor.init)
        let producer = try log.makeProducer(EventProducerSettings(
            topic: configuration.topic, batchBytes: configuration.producerBatchBytes, lingerMs: configuration.producerLingerMs
        ))
        let partitioner = RegionPartitioner(table: configuration.partitionTable, partitionCount: partitionCount)
        // Each record's headers name its region: built once per configured region, shared by its records.
        var regionHeaders: [String: [RecordHeader]] = [:]
        var simulator = Simulator(settings: configuration.simulatorSettings)
        let ticks = configuration.ticks
        var pendingSteps = production.scenario[...]
        var produced = 0
        let producedCounter = production.metrics.eventsProduced()
        var counted = 0
        var stoppedEarly = false
        let clock = ContinuousClock()
        let start = clock.now
        var published = start - .seconds(3600)
        state.update { snapshot in
            snapshot.phase = .producing
            snapshot.productionStarted = start
        }
        for tick in 0 ..< ticks {
            // Cancelled when another part of the run failed: stop without publishing ends.
            if Task.isCancelled { throw .cancelled }
            if Task.isShuttingDownGracefully {
                stoppedEarly = true
                break
            }
            let second = configuration.second(ofTick: tick)
            while let step = pendingSteps.first, step.atSeconds <= second {
                pendingSteps.removeFirst()
                guard let fleet = fleets[step.group] else { continue }
                let done = try await fleet.apply(step.action)
                state.update { $0.scenario.append("at \(step.atSeconds) s: \(done)") }
                terminal.line("scenario at \(step.atSeconds) s: \(done)")
            }
            if let pace = configuration.pace {
                let due = start + .milliseconds(Int64((Double(Int64(tick) * configuration.tickMs) / pace).rounded()))
                _ = await cancelWhenGracefulShutdown { try? await Task.sleep(until: due, clock: clock) }
                if Task.isShuttingDownGracefully {
                    stoppedEarly = true
                    break
                }
            }
            let events = stages.measure(.simulate) { simulator.step() }
            if let drivers = production.drivers, drivers.wanted, tick + 1 == ticks || clock.now - published >= drivers.interval {
                drivers.publish(events, simulatedMs: configuration.startTime + Int64(tick + 1) * configuration.tickMs)
                published = clock.now
            }
            let encoded = stages.measure(.encode) {
                events.compactMap { event -> Encoded? in
                    let (key, partition) = partitioner.route(event)
                    if stored?.isStored(partition: partition) == true { return nil }
                    let headers: [RecordHeader]
                    if let known = regionHeaders[event.region] {
                        headers = known
                    } else {
                        headers = [RecordHeader(key: "region", value: Array(event.region.utf8))]
                        regionHeaders[event.region] = headers
                    }
                    return Encoded(partition: PartitionID(partition), key: key, value: event.json(), headers: headers, timestamp: event.ts)
                }
            }
            // This loop runs on the simulator's own thread, awaits included: its thread CPU
            // time is the sending's.
            let sending = stages?.start()
            for record in encoded {
                try await producer.send(
                    partition: record.partition, key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp
                )
                produced += 1
            }
            if let sending { stages?.add(.append, since: sending) }
            let done = tick + 1
            producedCounter.increment(by: produced - counted)
            counted = produced
            state.update { snapshot in
                snapshot.ticks = done
                snapshot.produced = produced
                snapshot.simulatedMs = configuration.startTime + Int64(done) * configuration.tickMs
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
