import Broker
import KafkaWire
import LogStore
import RideModel

/// What an earlier, interrupted run already put in the log: per driver, the highest event
/// sequence number (`eventId` is `<sequence>-<driver>`, see `Simulator.eventID`). `--resume` replays the seeded
/// simulator from the start and produces only the events after these, so nothing is produced
/// twice and nothing is missing.
struct ProducedEvents {
    private(set) var lastSequence: [String: Int] = [:]
    private(set) var count = 0

    /// Reads every partition of `topic` from its log start.
    init(broker: Broker, topic: String) async throws {
        let partitions = try broker.partitionCount(topic)
        for partition in 0 ..< partitions {
            let id = TopicPartition(topic, PartitionID(partition))
            var next = try broker.bounds(id).start
            let end = try broker.bounds(id).end
            while next < end {
                let read = try broker.read(id, from: next, maxBytes: 4 << 20)
                let records = try RecordSet.decode(read.bytes, from: next)
                for index in records.indices {
                    guard let value = records.value(at: index), let event = try? LocationEvent.decode(value),
                          let sequence = Self.sequence(of: event) else { continue }
                    lastSequence[event.driverId] = max(lastSequence[event.driverId] ?? 0, sequence)
                    count += 1
                }
                guard records.nextOffset > next else { break }
                next = records.nextOffset
                await Task.yield()
            }
        }
    }

    static func sequence(of event: LocationEvent) -> Int? {
        Simulator.sequence(ofEventID: event.eventId)
    }

    /// Whether `event` is already in the log.
    func contains(_ event: LocationEvent) -> Bool {
        guard let last = lastSequence[event.driverId], let sequence = Self.sequence(of: event) else { return false }
        return sequence <= last
    }
}
