import Foundation
import KafkaWire

/// A small Kafka admin client for the inspection commands' `--bootstrap HOST:PORT`: any
/// Kafka-compatible broker or cluster, RideStream's own Kafka port included.
///
/// Requests go where Kafka routes them: metadata and configs to the bootstrap broker,
/// ListOffsets to each partition's leader, group requests to the group's coordinator
/// (FindCoordinator), ListGroups to every broker. One connection per broker, opened when
/// first needed; every exchange waits at most `timeoutMs`. Blocking: call it from a
/// command's own thread.
public final class BootstrapClient {
    public let bootstrap: String
    private let timeoutMs: Int32
    private let first: KafkaAdminConnection
    private var connections: [Int32: KafkaAdminConnection] = [:]
    private var brokers: [Int32: (host: String, port: Int)] = [:]
    /// Each topic's partition leaders as the last Metadata answer gave them, so that a command
    /// asking offsets topic after topic does not fetch the whole cluster's metadata each time.
    private var leaders: [String: [Int32: Int32]] = [:]
    /// Each group's coordinator as FindCoordinator last answered.
    private var coordinators: [String: Int32] = [:]

    /// `bootstrap` is HOST:PORT or a comma-separated list of them (as Kafka's tools take it),
    /// tried in order until one answers; spaces around each are ignored.
    public init(bootstrap: String, timeoutMs: Int32 = 10_000) throws(KafkaAdminError) {
        let addresses = bootstrap.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !addresses.isEmpty else { throw KafkaAdminError.badAddress(bootstrap) }
        var parsed: [(host: String, port: Int)] = []
        for address in addresses {
            guard let endpoint = Self.endpoint(address) else { throw KafkaAdminError.badAddress(address) }
            parsed.append(endpoint)
        }
        self.bootstrap = bootstrap
        self.timeoutMs = timeoutMs
        var lastFailure: KafkaAdminError?
        for endpoint in parsed {
            do {
                first = try KafkaAdminConnection(host: endpoint.host, port: endpoint.port, timeoutMs: timeoutMs)
                return
            } catch {
                lastFailure = error
            }
        }
        throw lastFailure!
    }

    /// HOST:PORT, [IPv6]:PORT, with a port from 1 to 65535.
    static func endpoint(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), colon > address.startIndex,
              let port = Int(address[address.index(after: colon)...]), (1 ... 65535).contains(port) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains("/") else { return nil }
        return (host, port)
    }

    // MARK: - Topics

    /// Every topic (nil) or the ones named, with each partition's leader. The request always
    /// asks for every topic: naming one in Metadata v1 lets a broker create it, and looking
    /// must never create a topic (a misspelled name would become one).
    public func metadata(topics: [String]? = nil) throws(KafkaAdminError) -> ClusterMetadata {
        _ = try first.version(of: .metadata, supported: 1 ... 1)
        let body = try first.exchange(.metadata, version: 1) { writer in writer.write(Int32(-1)) }
        var metadata = try KafkaAdminResponses.decode(body, address: first.address, api: "Metadata", KafkaAdminResponses.metadata)
        brokers = metadata.brokers
        leaders = Dictionary(metadata.topics.map { ($0.name, $0.leaders) }, uniquingKeysWith: { first, _ in first })
        if let topics {
            let wanted = Set(topics)
            metadata.topics = metadata.topics.filter { wanted.contains($0.name) }
        }
        return metadata
    }

    /// Where ListOffsets looks: the log end (high watermark), the log start, or the first
    /// record at or after a time.
    public enum OffsetQuery: Sendable {
        case latest, earliest
        /// Milliseconds since the epoch; partitions with no record that new answer their end.
        case timestamp(Int64)

        var wire: Int64 {
            switch self {
            case .latest: return -1
            case .earliest: return -2
            case let .timestamp(time): return time
            }
        }
    }

    /// The latest (or earliest) offset of each partition, asked of its leader.
    public func offsets(_ partitions: [TopicPartition], earliest: Bool = false) throws(KafkaAdminError) -> [TopicPartition: Int64] {
        try offsets(partitions, at: earliest ? .earliest : .latest)
    }

    /// Each partition's offset for `query`, asked of its leader.
    public func offsets(_ partitions: [TopicPartition], at query: OffsetQuery) throws(KafkaAdminError) -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        if partitions.contains(where: { leaders[$0.topic] == nil }) { _ = try metadata() }
        var byLeader: [Int32: [TopicPartition]] = [:]
        for partition in partitions {
            // No leader now (-1, or one missing from the metadata): that partition has no answer.
            guard let leader = leaders[partition.topic]?[partition.partition.rawValue], brokers[leader] != nil else { continue }
            byLeader[leader, default: []].append(partition)
        }
        var result: [TopicPartition: Int64] = [:]
        for (leader, owned) in byLeader.sorted(by: { $0.key < $1.key }) {
            let connection = try connection(to: leader)
            _ = try connection.version(of: .listOffsets, supported: 1 ... 1)
            let byTopic = Dictionary(grouping: owned, by: \.topic)
            let body = try connection.exchange(.listOffsets, version: 1) { writer in
                writer.write(Int32(-1))
                writer.write(Int32(byTopic.count))
                for (topic, partitions) in byTopic.sorted(by: { $0.key < $1.key }) {
                    writer.writeString(topic)
                    writer.write(Int32(partitions.count))
                    for partition in partitions {
                        writer.write(partition.partition.rawValue)
                        writer.write(query.wire)
                    }
                }
            }
            let answered = try KafkaAdminResponses.decode(body, address: connection.address, api: "ListOffsets", KafkaAdminResponses.listOffsets)
            // -1 is "no record that new" (a time query); anything below is not an offset.
            for (partition, answer) in answered where answer.error == .noError && answer.offset >= -1 { result[partition] = answer.offset }
        }
        if case .timestamp = query {
            // No record that new: -1, which is the log end for a reset.
            let missing = result.filter { $0.value < 0 }.map(\.key)
            if !missing.isEmpty { for (partition, end) in try offsets(missing, at: .latest) { result[partition] = end } }
        }
        return result
    }

    /// A topic's settings, with Kafka's sources.
    public func topicConfigs(_ topic: String) throws(KafkaAdminError) -> [TopicSetting] {
        _ = try first.version(of: .describeConfigs, supported: 1 ... 1)
        let body = try first.exchange(.describeConfigs, version: 1) { writer in
            writer.write(Int32(1))
            writer.write(DescribeConfigs.ResourceType.topic.rawValue)
            writer.writeString(topic)
            writer.write(Int32(-1))
            writer.write(false)
        }
        let results = try KafkaAdminResponses.decode(body, address: first.address, api: "DescribeConfigs", KafkaAdminResponses.describeConfigs)
        guard let result = results.first else { return [] }
        guard result.error == .noError else {
            throw KafkaAdminError.kafka(address: first.address, api: "DescribeConfigs", code: result.error, message: result.message)
        }
        return result.configs
    }

    // MARK: - Groups

    /// Every group any broker coordinates, sorted, with its protocol type.
    public func listGroups() throws(KafkaAdminError) -> [(id: String, protocolType: String)] {
        let ids = brokers.isEmpty ? try metadata(topics: []).brokers.keys.sorted() : brokers.keys.sorted()
        var groups: [String: String] = [:]
        for id in ids {
            let connection = try connection(to: id)
            _ = try connection.version(of: .listGroups, supported: 0 ... 0)
            let body = try connection.exchange(.listGroups, version: 0) { _ in }
            let listed = try KafkaAdminResponses.decode(body, address: connection.address, api: "ListGroups", KafkaAdminResponses.listGroups)
            guard listed.error == .noError else { throw KafkaAdminError.kafka(address: connection.address, api: "ListGroups", code: listed.error, message: nil) }
            for group in listed.groups { groups[group.id] = group.protocolType }
        }
        return groups.keys.sorted().map { ($0, groups[$0]!) }
    }

    /// A group's state and members from its coordinator; state "Dead" for a group it does
    /// not know, as Kafka answers.
    public func describeGroup(_ group: String) throws(KafkaAdminError) -> DescribedGroup {
        let coordinator = try coordinator(of: group)
        _ = try coordinator.version(of: .describeGroups, supported: 0 ... 0)
        let body = try coordinator.exchange(.describeGroups, version: 0) { writer in
            writer.write(Int32(1))
            writer.writeString(group)
        }
        let groups = try KafkaAdminResponses.decode(body, address: coordinator.address, api: "DescribeGroups", KafkaAdminResponses.describeGroups)
        guard let described = groups.first(where: { $0.groupID == group }) else {
            throw KafkaAdminError.malformedResponse(address: coordinator.address, api: "DescribeGroups", reason: "group '\(group)' is not in the answer")
        }
        guard described.error == .noError else {
            throw KafkaAdminError.kafka(address: coordinator.address, api: "DescribeGroups", code: described.error, message: nil)
        }
        return described
    }

    /// A group's committed offsets, every partition it committed. Asked for all at once
    /// (OffsetFetch v2's null topic list); a broker that answers that with nothing (librdkafka's
    /// mock cluster) is asked again for every partition of every topic.
    public func committedOffsets(_ group: String) throws(KafkaAdminError) -> [TopicPartition: Int64] {
        let all = try fetchOffsets(group, partitions: nil)
        guard all.isEmpty else { return all }
        let partitions = try metadata().topics.flatMap { topic in topic.leaders.keys.map { TopicPartition(topic.name, PartitionID($0)) } }
        return partitions.isEmpty ? [:] : try fetchOffsets(group, partitions: partitions)
    }

    private func fetchOffsets(_ group: String, partitions: [TopicPartition]?) throws(KafkaAdminError) -> [TopicPartition: Int64] {
        let coordinator = try coordinator(of: group)
        _ = try coordinator.version(of: .offsetFetch, supported: 2 ... 2)
        let body = try coordinator.exchange(.offsetFetch, version: 2) { writer in
            writer.writeString(group)
            guard let partitions else { return writer.write(Int32(-1)) }
            let byTopic = Dictionary(grouping: partitions, by: \.topic)
            writer.write(Int32(byTopic.count))
            for (topic, owned) in byTopic.sorted(by: { $0.key < $1.key }) {
                writer.writeString(topic)
                writer.write(Int32(owned.count))
                for partition in owned.sorted() { writer.write(partition.partition.rawValue) }
            }
        }
        let fetched = try KafkaAdminResponses.decode(body, address: coordinator.address, api: "OffsetFetch", KafkaAdminResponses.offsetFetch)
        guard fetched.error == .noError else {
            throw KafkaAdminError.kafka(address: coordinator.address, api: "OffsetFetch", code: fetched.error, message: nil)
        }
        return fetched.offsets
    }

    /// Commits offsets for a group without joining it (generation -1, no member id), as
    /// `kafka-consumer-groups --reset-offsets --execute` does; brokers accept it only while the
    /// group has no members. Throws the first partition's refusal.
    public func commitOffsets(_ group: String, _ offsets: [TopicPartition: Int64]) throws(KafkaAdminError) {
        let coordinator = try coordinator(of: group)
        _ = try coordinator.version(of: .offsetCommit, supported: 2 ... 2)
        let byTopic = Dictionary(grouping: offsets.keys, by: \.topic)
        let body = try coordinator.exchange(.offsetCommit, version: 2) { writer in
            writer.writeString(group)
            writer.write(Int32(-1))
            writer.writeString("")
            writer.write(Int64(-1))
            writer.write(Int32(byTopic.count))
            for (topic, owned) in byTopic.sorted(by: { $0.key < $1.key }) {
                writer.writeString(topic)
                writer.write(Int32(owned.count))
                for partition in owned.sorted() {
                    writer.write(partition.partition.rawValue)
                    writer.write(offsets[partition]!)
                    writer.writeNullableString("")
                }
            }
        }
        let codes = try KafkaAdminResponses.decode(body, address: coordinator.address, api: "OffsetCommit", KafkaAdminResponses.partitionCodes)
        if let refused = codes.first(where: { $0.value != .noError }) {
            throw KafkaAdminError.kafka(address: coordinator.address, api: "OffsetCommit", code: refused.value, message: "\(refused.key)")
        }
    }

    /// Deletes a group and its committed offsets (DeleteGroups, at its coordinator).
    public func deleteGroup(_ group: String) throws(KafkaAdminError) {
        let coordinator = try coordinator(of: group)
        _ = try coordinator.version(of: .deleteGroups, supported: 0 ... 0)
        let body = try coordinator.exchange(.deleteGroups, version: 0) { writer in
            writer.write(Int32(1))
            writer.writeString(group)
        }
        let results = try KafkaAdminResponses.decode(body, address: coordinator.address, api: "DeleteGroups", KafkaAdminResponses.groupCodes)
        if let code = results.first(where: { $0.group == group })?.code, code != .noError {
            throw KafkaAdminError.kafka(address: coordinator.address, api: "DeleteGroups", code: code, message: "group '\(group)'")
        }
    }

    // MARK: - Routing

    private func coordinator(of group: String) throws(KafkaAdminError) -> KafkaAdminConnection {
        if let known = coordinators[group] { return try connection(to: known) }
        _ = try first.version(of: .findCoordinator, supported: 1 ... 1)
        let body = try first.exchange(.findCoordinator, version: 1) { writer in
            writer.writeString(group)
            writer.write(Int8(0))
        }
        let found = try KafkaAdminResponses.decode(body, address: first.address, api: "FindCoordinator", KafkaAdminResponses.coordinator)
        guard found.error == .noError else {
            throw KafkaAdminError.kafka(address: first.address, api: "FindCoordinator", code: found.error, message: found.message)
        }
        brokers[found.node] = (found.host, found.port)
        coordinators[group] = found.node
        return try connection(to: found.node)
    }

    private func connection(to node: Int32) throws(KafkaAdminError) -> KafkaAdminConnection {
        if let open = connections[node] { return open }
        guard let broker = brokers[node] else {
            throw KafkaAdminError.malformedResponse(address: first.address, api: "Metadata", reason: "broker \(node) is not in the metadata")
        }
        guard (1 ... 65535).contains(broker.port) else {
            throw KafkaAdminError.malformedResponse(address: first.address, api: "Metadata", reason: "broker \(node) has port \(broker.port)")
        }
        if "\(broker.host):\(broker.port)" == first.address {
            connections[node] = first
            return first
        }
        let opened = try KafkaAdminConnection(host: broker.host, port: broker.port, timeoutMs: timeoutMs)
        connections[node] = opened
        return opened
    }
}
