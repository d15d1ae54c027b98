/// The Metadata exchange (API key 3), versions 0–8.
///
/// Clients learn the brokers, topics and partition leaders from it. With one broker, every
/// partition's leader, replicas and in-sync replicas are that broker; leader epochs are 0.
public enum Metadata {
    /// A Metadata request.
    public struct Request: Hashable, Sendable {
        /// The topics asked for; nil means all topics (an empty list in version 0 means all too).
        public var topics: [String]?
        /// Whether unknown topics may be created (version 4+; always true before).
        public var allowAutoTopicCreation: Bool

        public static func decode(_ body: UnsafeRawBufferPointer, version: Int16) throws(WireError) -> Request {
            var reader = ByteReader(body)
            let count = try reader.readInt32()
            var topics: [String]?
            if count >= 0 {
                guard Int(count) <= reader.remaining / 2 else { throw WireError(.malformed, "topic count \(count)", at: 0) }
                var names: [String] = []
                for _ in 0 ..< count { names.append(try reader.readString()) }
                topics = version == 0 && names.isEmpty ? nil : names
            } else if version == 0 {
                throw WireError(.malformed, "version 0 has no null topic list", at: 0)
            }
            var allow = true
            if version >= 4 { allow = try reader.readInt8() != 0 }
            if version >= 8 {
                _ = try reader.readInt8()  // include cluster authorized operations
                _ = try reader.readInt8()  // include topic authorized operations
            }
            return Request(topics: topics, allowAutoTopicCreation: allow)
        }
    }

    public struct Broker: Hashable, Sendable {
        public var nodeID: Int32
        public var host: String
        public var port: Int32

        public init(nodeID: Int32, host: String, port: Int32) {
            self.nodeID = nodeID
            self.host = host
            self.port = port
        }
    }

    public struct Topic: Hashable, Sendable {
        public var error: ErrorCode
        public var name: String
        public var isInternal: Bool
        /// Partition ids, each led by the one broker; empty when `error` is set.
        public var partitions: [Int32]

        public init(error: ErrorCode, name: String, isInternal: Bool = false, partitions: [Int32]) {
            self.error = error
            self.name = name
            self.isInternal = isInternal
            self.partitions = partitions
        }
    }

    /// Encodes the response body for `version`; `broker` leads every partition and is the
    /// controller.
    public static func responseBody(version: Int16, broker: Broker, clusterID: String, topics: [Topic]) -> [UInt8] {
        var writer = ByteWriter(capacity: 128 + topics.count * 64)
        if version >= 3 { writer.write(Int32(0)) }  // throttle_time_ms
        writer.write(Int32(1))
        writer.write(broker.nodeID)
        writer.writeString(broker.host)
        writer.write(broker.port)
        if version >= 1 { writer.writeNullableString(nil) }  // rack
        if version >= 2 { writer.writeNullableString(clusterID) }
        if version >= 1 { writer.write(broker.nodeID) }  // controller id
        writer.write(Int32(topics.count))
        for topic in topics {
            writer.write(topic.error.rawValue)
            writer.writeString(topic.name)
            if version >= 1 { writer.write(Int8(topic.isInternal ? 1 : 0)) }
            writer.write(Int32(topic.partitions.count))
            for partition in topic.partitions {
                writer.write(ErrorCode.noError.rawValue)
                writer.write(partition)
                writer.write(broker.nodeID)  // leader
                if version >= 7 { writer.write(Int32(0)) }  // leader epoch
                writer.write(Int32(1))  // replicas
                writer.write(broker.nodeID)
                writer.write(Int32(1))  // in-sync replicas
                writer.write(broker.nodeID)
                if version >= 5 { writer.write(Int32(0)) }  // offline replicas
            }
            if version >= 8 { writer.write(Int32(Int32.min)) }  // topic authorized operations: not computed
        }
        if version >= 8 { writer.write(Int32(Int32.min)) }  // cluster authorized operations
        return writer.take()
    }
}
