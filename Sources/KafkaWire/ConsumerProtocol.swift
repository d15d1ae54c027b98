/// The "consumer" protocol type's opaque group payloads: what members subscribe to and what
/// the leader assigns them.
///
/// The broker never interprets these bytes; members do. Encoded as Kafka's
/// `ConsumerProtocolSubscription` (versions 0 to 2) and `ConsumerProtocolAssignment` (version 0), so the
/// in-process consumers and network clients can share a group and `DescribeGroups` shows both.
public struct ConsumerSubscription: Hashable, Sendable {
    public var topics: [String]
    public var userData: [UInt8]?
    /// The partitions the member owns now (version 1+), used by sticky assignors.
    public var ownedPartitions: [TopicPartition]
    /// The generation in which the member got `ownedPartitions` (version 2+, KIP-792; -1 when
    /// not told): a sticky leader trusts the claims of the latest generation over older ones.
    public var generation: Int32

    public init(topics: [String], userData: [UInt8]? = nil, ownedPartitions: [TopicPartition] = [], generation: Int32 = -1) {
        self.topics = topics
        self.userData = userData
        self.ownedPartitions = ownedPartitions
        self.generation = generation
    }

    /// Version 2 bytes: version, topics, user data, owned partitions, generation.
    public func encode() -> [UInt8] {
        var writer = ByteWriter()
        writer.write(Int16(2))
        writer.write(Int32(topics.count))
        for topic in topics { writer.writeString(topic) }
        writer.writeBytes(userData)
        encodePartitions(ownedPartitions, into: &writer)
        writer.write(generation)
        return writer.take()
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> ConsumerSubscription {
        return try bytes.withRawBytes { (raw) throws(WireError) in
                var reader = ByteReader(raw)
                let version = try reader.readInt16()
                let count = try reader.readInt32()
                guard count >= 0, Int(count) <= reader.remaining / 2 else {
                    throw WireError(.malformed, "topic count \(count)", at: 2)
                }
                var topics: [String] = []
                for _ in 0 ..< count { topics.append(try reader.readString()) }
                var subscription = ConsumerSubscription(topics: topics)
                if !reader.isAtEnd { subscription.userData = try reader.readNullableBytes() }
                if version >= 1, !reader.isAtEnd { subscription.ownedPartitions = try decodePartitions(&reader) }
                if version >= 2, !reader.isAtEnd { subscription.generation = try reader.readInt32() }
                return subscription
        }
    }
}

/// The partitions the group leader gave one member.
public struct ConsumerAssignment: Hashable, Sendable {
    public var partitions: [TopicPartition]
    public var userData: [UInt8]?

    public init(partitions: [TopicPartition], userData: [UInt8]? = nil) {
        self.partitions = partitions
        self.userData = userData
    }

    /// Version 0 bytes: version, per-topic partition lists, user data.
    public func encode() -> [UInt8] {
        var writer = ByteWriter()
        writer.write(Int16(0))
        encodePartitions(partitions, into: &writer)
        writer.writeBytes(userData)
        return writer.take()
    }

    /// Decodes an assignment; empty bytes (what a member gets when it has nothing) decode to
    /// an empty assignment.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> ConsumerAssignment {
        if bytes.isEmpty { return ConsumerAssignment(partitions: []) }
        return try bytes.withRawBytes { (raw) throws(WireError) in
                var reader = ByteReader(raw)
                _ = try reader.readInt16()
                var assignment = ConsumerAssignment(partitions: try decodePartitions(&reader))
                if !reader.isAtEnd { assignment.userData = try reader.readNullableBytes() }
                return assignment
        }
    }
}

private func encodePartitions(_ partitions: [TopicPartition], into writer: inout ByteWriter) {
    let byTopic = Dictionary(grouping: partitions, by: \.topic)
    writer.write(Int32(byTopic.count))
    for topic in byTopic.keys.sorted() {
        writer.writeString(topic)
        let ids = byTopic[topic, default: []].map(\.partition.rawValue).sorted()
        writer.write(Int32(ids.count))
        for id in ids { writer.write(id) }
    }
}

private func decodePartitions(_ reader: inout ByteReader) throws(WireError) -> [TopicPartition] {
    let topicCount = try reader.readInt32()
    guard topicCount >= 0, Int(topicCount) <= reader.remaining / 2 else {
        throw WireError(.malformed, "topic count \(topicCount)", at: reader.position)
    }
    var partitions: [TopicPartition] = []
    for _ in 0 ..< topicCount {
        let topic = try reader.readString()
        let count = try reader.readInt32()
        guard count >= 0, Int(count) <= reader.remaining / 4 else {
            throw WireError(.malformed, "partition count \(count)", at: reader.position)
        }
        for _ in 0 ..< count { partitions.append(TopicPartition(topic, PartitionID(try reader.readInt32()))) }
    }
    return partitions
}
