import KafkaWire
import RideModel

/// Chooses each event's partition from its region, the same way whatever the log: the
/// configured region → partitions table, the driver id's murmur2 hash choosing among a
/// region's partitions (so a driver's events stay in order in one partition), and murmur2
/// over every partition for a region the table does not list. Choosing here, not in a
/// client's partitioner, is what makes a run on a Kafka cluster put every event where a run
/// on the built-in broker does.
struct RegionPartitioner: Sendable {
    /// Region -> its partitions that exist (those beyond `partitionCount` are left out once
    /// here, not at every event); a region with none is not listed.
    let table: [String: [Int]]
    let partitionCount: Int

    init(table: [String: [Int]], partitionCount: Int) {
        self.partitionCount = partitionCount
        self.table = table.mapValues { $0.filter { $0 < partitionCount } }.filter { !$0.value.isEmpty }
    }

    /// An event's key (its driver id) and partition, as the producer sends it.
    func route(_ event: LocationEvent) -> (key: [UInt8], partition: Int) {
        let key = Array(event.driverId.utf8)
        return (key, partition(region: event.region, key: key))
    }

    func partition(region: String, key: [UInt8]) -> Int {
        if let choices = table[region] {
            if choices.count == 1 { return choices[0] }
            return choices[Int(Murmur2.partition(forKey: key, partitionCount: choices.count).rawValue)]
        }
        return Int(Murmur2.partition(forKey: key, partitionCount: partitionCount).rawValue)
    }
}
