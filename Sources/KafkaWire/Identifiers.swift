/// A position in a partition's log: the offset of one record.
///
/// Offsets start at 0 and grow by one per record. `Offset` is also used for the "next offset"
/// of a log (its log end offset) and for committed consumer positions, which name the next
/// record to read.
public struct Offset: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ value: Int64) { self.rawValue = value }

    public static let zero = Offset(0)
    public static func < (lhs: Offset, rhs: Offset) -> Bool { lhs.rawValue < rhs.rawValue }
    public static func + (lhs: Offset, rhs: Int64) -> Offset { Offset(lhs.rawValue + rhs) }
    public static func - (lhs: Offset, rhs: Offset) -> Int64 { lhs.rawValue - rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// The index of a partition within its topic, `0 ..< partitionCount`.
public struct PartitionID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ value: Int32) { self.rawValue = value }
    public init(_ value: Int) { self.rawValue = Int32(value) }

    public static func < (lhs: PartitionID, rhs: PartitionID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// One partition of one topic.
public struct TopicPartition: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: PartitionID

    public init(_ topic: String, _ partition: PartitionID) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition.rawValue) < (rhs.topic, rhs.partition.rawValue)
    }
    public var description: String { "\(topic)-\(partition)" }
}
