import KafkaWire

/// Chooses the partition of a record that does not name one.
///
/// - `murmur2`: keyed records by Kafka's Java-client rule (murmur2 of the key modulo the
///   partition count), so keys land where Kafka's own clients put them; keyless records
///   round-robin or sticky.
/// - `roundRobin`: every record to the next partition in turn, keys ignored.
/// - `table`: a value (a header, or the key itself) looked up in a table of partitions, such as
///   region → partitions. When a value has several partitions, the key's murmur2 hash picks
///   among them, so one key always lands in the same partition. Unlisted values fall back to
///   murmur2 over all partitions.
public enum PartitionStrategy: Hashable, Sendable {
    case murmur2(keyless: KeylessStrategy = .sticky)
    case roundRobin
    case table(PartitionTable)

    public enum KeylessStrategy: String, Hashable, Sendable {
        /// Each keyless record to the next partition.
        case roundRobin
        /// Keyless records fill one partition's batch, then move on (Kafka's default since 2.4).
        case sticky
    }
}

/// A lookup table from a record attribute to partitions.
public struct PartitionTable: Hashable, Sendable {
    public enum Source: Hashable, Sendable {
        case header(String)
        case key
    }

    public var source: Source
    public var partitions: [String: [PartitionID]]

    public init(source: Source, partitions: [String: [PartitionID]]) {
        self.source = source
        self.partitions = partitions
    }
}

/// The partitioner state of one producer (round-robin cursors and sticky choices).
/// Not thread-safe: the producer calls it under its own lock.
struct Partitioner {
    let strategy: PartitionStrategy
    private var cursor: [String: Int] = [:]
    private var sticky: [String: Int] = [:]

    init(strategy: PartitionStrategy) { self.strategy = strategy }

    mutating func partition(
        topic: String, key: [UInt8]?, headers: [RecordHeader], partitionCount: Int
    ) -> PartitionID {
        switch strategy {
        case .roundRobin:
            return nextRoundRobin(topic, partitionCount)
        case let .murmur2(keyless):
            if let key { return Murmur2.partition(forKey: key, partitionCount: partitionCount) }
            return keylessPartition(topic, partitionCount, keyless)
        case let .table(table):
            let value: [UInt8]? = switch table.source {
            case let .header(name): headers.first { $0.key == name }?.value
            case .key: key
            }
            if let value, let choices = table.partitions[String(decoding: value, as: UTF8.self)]?
                .filter({ $0.rawValue < partitionCount }), !choices.isEmpty {
                if choices.count == 1 { return choices[0] }
                let hashed = Int(Murmur2.partition(forKey: key ?? value, partitionCount: choices.count).rawValue)
                return choices[hashed]
            }
            if let key { return Murmur2.partition(forKey: key, partitionCount: partitionCount) }
            return keylessPartition(topic, partitionCount, .sticky)
        }
    }

    private mutating func keylessPartition(_ topic: String, _ count: Int, _ strategy: PartitionStrategy.KeylessStrategy) -> PartitionID {
        switch strategy {
        case .roundRobin:
            return nextRoundRobin(topic, count)
        case .sticky:
            if let chosen = sticky[topic], chosen < count { return PartitionID(chosen) }
            let chosen = Int.random(in: 0 ..< count)
            sticky[topic] = chosen
            return PartitionID(chosen)
        }
    }

    private mutating func nextRoundRobin(_ topic: String, _ count: Int) -> PartitionID {
        let next = cursor[topic, default: -1] + 1
        cursor[topic] = next % count
        return PartitionID(next % count)
    }

    /// A batch for `partition` was completed: sticky keyless records move to another partition.
    mutating func batchCompleted(topic: String, partition: PartitionID, partitionCount: Int) {
        guard let chosen = sticky[topic], chosen == Int(partition.rawValue), partitionCount > 1 else { return }
        sticky[topic] = (chosen + Int.random(in: 1 ..< partitionCount)) % partitionCount
    }
}
