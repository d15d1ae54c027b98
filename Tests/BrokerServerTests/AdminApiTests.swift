import Broker
import BrokerServer
import Foundation
import Groups
import KafkaWire
import LogStore
import TestSupport
import Testing

/// DeleteRecords, AlterConfigs, IncrementalAlterConfigs, ListGroups v3–4, DeleteGroups and
/// OffsetDelete through the dispatcher, with requests built byte by byte: the encodings
/// (flexible ListGroups included), and the refusals that must change nothing. The same
/// operations from real admin clients are in `PythonClientTests`.
@Suite struct AdminApiTests {
    let dir = TemporaryDirectory("admin-api")
    let broker: Broker
    let dispatcher: RequestDispatcher

    init() throws {
        broker = try Self.openBroker(dir)
        dispatcher = RequestDispatcher(broker: broker, configuration: ServerConfiguration())
        try broker.createTopic("rides", configuration: TopicConfiguration(partitions: 2))
        for _ in 0 ..< 4 { _ = try broker.append(TestBatches.make(10), to: TopicPartition("rides", PartitionID(0))) }
    }

    static func openBroker(_ dir: TemporaryDirectory) throws -> Broker {
        var configuration = BrokerConfiguration(dataDirectory: dir.path)
        configuration.groups.initialRebalanceDelayMs = 0
        return try Broker(configuration: configuration)
    }

    /// Sends a request and reads its response with `read`, after checking the response header
    /// (v1, with its tagged fields, for flexible versions) and that `read` used every byte.
    func call<Result>(
        _ key: ApiKey, version: Int16, _ body: (inout ByteWriter) -> Void, read: (inout ByteReader) throws -> Result
    ) async throws -> Result {
        var writer = ByteWriter()
        writer.write(key.rawValue)
        writer.write(version)
        writer.write(Int32(7))
        writer.writeNullableString("admin-test")
        if key.isFlexible(version) { writer.writeNoTaggedFields() }
        body(&writer)
        let response = try #require(try await dispatcher.handle(writer.take()))
        return try response.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            #expect(Int(try reader.readInt32()) == response.count - 4)
            #expect(try reader.readInt32() == 7)
            if key.isFlexible(version) { #expect(try reader.readUnsignedVarint() == 0, "response header v1: no tagged fields") }
            let result = try read(&reader)
            #expect(reader.isAtEnd, "\(key) v\(version): \(reader.remaining) bytes left unread")
            return result
        }
    }

    // MARK: - ListGroups

    func listGroups(version: Int16, states: [String] = []) async throws -> [(id: String, protocolType: String, state: String?)] {
        try await call(.listGroups, version: version) { writer in
            guard version >= 3 else { return }
            if version >= 4 {
                writer.writeCompactCount(states.count)
                for state in states { writer.writeCompactString(state) }
            }
            writer.writeNoTaggedFields()
        } read: { reader in
            if version >= 1 { #expect(try reader.readInt32() == 0) }
            #expect(try reader.readInt16() == 0)
            var groups: [(id: String, protocolType: String, state: String?)] = []
            if version < 3 {
                for _ in 0 ..< (try reader.readInt32()) { groups.append((try reader.readString(), try reader.readString(), nil)) }
                return groups
            }
            for _ in 0 ..< (try #require(try reader.readCompactNullableCount("group", minimumElementBytes: 3))) {
                let id = try reader.readCompactString()
                let type = try reader.readCompactString()
                let state = version >= 4 ? try reader.readCompactString() : nil
                try reader.skipTaggedFields()
                groups.append((id, type, state))
            }
            try reader.skipTaggedFields()
            return groups
        }
    }

    @Test func listGroupsReportsStatesFromV4AndFiltersByThemInAnyCase() async throws {
        _ = await broker.coordinator.commitOffsets(groupID: "fare", offsets: [TopicPartition("rides", PartitionID(0)): CommittedOffset(offset: Offset(5))])
        for version: Int16 in 0 ... 2 {
            let groups = try await listGroups(version: version)
            #expect(groups.map(\.id) == ["fare"] && groups[0].state == nil, "v\(version)")
        }
        #expect(try await listGroups(version: 3).map(\.id) == ["fare"])
        let v4 = try await listGroups(version: 4)
        // Only committed, never joined: a simple consumer group, protocol type "" as in Kafka.
        #expect(v4.map(\.id) == ["fare"] && v4.first?.state == "Empty" && v4.first?.protocolType == "")
        #expect(try await listGroups(version: 4, states: ["Stable"]).isEmpty)
        #expect(try await listGroups(version: 4, states: ["stable", "EMPTY"]).map(\.id) == ["fare"])
    }

    // MARK: - Configs

    /// AlterConfigs (or IncrementalAlterConfigs, with operations) on topic resources; returns
    /// (error code, message) per resource.
    func alter(
        incremental: Bool, validateOnly: Bool = false, _ resources: [(type: Int8, name: String, configs: [(String, Int8, String?)])]
    ) async throws -> [(Int16, String?)] {
        try await call(incremental ? .incrementalAlterConfigs : .alterConfigs, version: 0) { writer in
            writer.write(Int32(resources.count))
            for resource in resources {
                writer.write(resource.type)
                writer.writeString(resource.name)
                writer.write(Int32(resource.configs.count))
                for (name, operation, value) in resource.configs {
                    writer.writeString(name)
                    if incremental { writer.write(operation) }
                    writer.writeNullableString(value)
                }
            }
            writer.write(validateOnly)
        } read: { reader in
            #expect(try reader.readInt32() == 0)
            var results: [(Int16, String?)] = []
            for _ in 0 ..< (try reader.readInt32()) {
                let code = try reader.readInt16()
                let message = try reader.readNullableString()
                _ = try reader.readInt8()
                _ = try reader.readString()
                results.append((code, message))
            }
            return results
        }
    }

    @Test func refusedConfigChangesChangeNothingAndAcceptedOnesSurviveARestart() async throws {
        let before = try broker.describeTopic("rides").configuration
        let set: Int8 = 0, delete: Int8 = 1, append: Int8 = 2
        // One bad setting refuses the whole resource, the good one beside it included.
        var results = try await alter(incremental: false, [(2, "rides", [("retention.ms", set, "60000"), ("segment.bytes", set, "5")])])
        #expect(results.map(\.0) == [ErrorCode.invalidConfig.rawValue])
        #expect(results[0].1?.contains("segment.bytes") == true, "\(results)")
        results = try await alter(incremental: true, [(2, "rides", [("retention.ms", append, "60000")])])
        #expect(results.map(\.0) == [ErrorCode.invalidConfig.rawValue], "APPEND to a setting that is not a list")
        results = try await alter(incremental: true, [(2, "rides", [("retention.ms", 9, "60000")])])
        #expect(results.map(\.0) == [ErrorCode.invalidRequest.rawValue], "an unknown operation")
        results = try await alter(incremental: true, [(2, "rides", [("retention.ms", set, "1")]), (2, "rides", [("retention.ms", set, "2")])])
        #expect(results.map(\.0) == [ErrorCode.invalidRequest.rawValue, ErrorCode.invalidRequest.rawValue], "one resource twice")
        results = try await alter(incremental: true, [(2, "nosuch", [("retention.ms", set, "1")]), (4, "1", [("log.retention.ms", set, "1")])])
        #expect(results.map(\.0) == [ErrorCode.unknownTopicOrPartition.rawValue, ErrorCode.invalidConfig.rawValue])
        results = try await alter(incremental: true, validateOnly: true, [(2, "rides", [("retention.ms", set, "60000")])])
        #expect(results.map(\.0) == [0], "validate only")
        #expect(try broker.describeTopic("rides").configuration == before, "nothing changed by any of the above")

        results = try await alter(incremental: true, [(2, "rides", [("retention.ms", set, "60000"), ("segment.bytes", set, "1024")])])
        #expect(results.map(\.0) == [0])
        for _ in 0 ..< 3 { _ = try broker.append(TestBatches.make(10, valueSize: 50), to: TopicPartition("rides", PartitionID(1))) }
        #expect(try broker.describeTopic("rides").partitions[1].segments == 3, "1 KiB segments at once: one batch each")
        results = try await alter(incremental: true, [(2, "rides", [("segment.bytes", delete, nil)])])
        #expect(results.map(\.0) == [0])
        var expected = before
        expected.retentionMilliseconds = 60_000
        #expect(try broker.describeTopic("rides").configuration == expected)
        try broker.close()
        let reopened = try Self.openBroker(dir)
        defer { try? reopened.close() }
        #expect(try reopened.describeTopic("rides").configuration == expected, "after a restart")
    }

    /// Two changes of different settings at once: both stay (each is computed from the
    /// settings the other left, under the broker's administration lock).
    @Test func concurrentConfigChangesNeverLoseOneAnother() async throws {
        let set: Int8 = 0
        for round in 1 ... 40 {
            async let retention = alter(incremental: true, [(2, "rides", [("retention.ms", set, "\(60_000 + round)")])])
            async let segments = alter(incremental: true, [(2, "rides", [("segment.bytes", set, "\(1_048_576 + round)")])])
            let (first, second) = try await (retention, segments)
            #expect(first.map(\.0) == [0] && second.map(\.0) == [0])
            let configuration = try broker.describeTopic("rides").configuration
            #expect(configuration.retentionMilliseconds == Int64(60_000 + round) && configuration.segmentBytes == 1_048_576 + round, "round \(round)")
        }
        let kafkaLike = try await alter(incremental: true, [(2, "rides", [("retention.ms", set, " 90000 "), ("cleanup.policy", 2, "delete")])])
        #expect(kafkaLike.map(\.0) == [0], "whitespace around a value is ignored and APPEND delete to [delete] is no change: \(kafkaLike)")
        #expect(try broker.describeTopic("rides").configuration.retentionMilliseconds == 90_000)
    }

    // MARK: - DeleteRecords

    func deleteRecords(_ partitions: [(topic: String, partition: Int32, offset: Int64)]) async throws -> [(Int32, Int64, Int16)] {
        try await call(.deleteRecords, version: 1) { writer in
            writer.write(Int32(partitions.count))
            for entry in partitions {
                writer.writeString(entry.topic)
                writer.write(Int32(1))
                writer.write(entry.partition)
                writer.write(entry.offset)
            }
            writer.write(Int32(5_000))
        } read: { reader in
            #expect(try reader.readInt32() == 0)
            var results: [(Int32, Int64, Int16)] = []
            for _ in 0 ..< (try reader.readInt32()) {
                _ = try reader.readString()
                for _ in 0 ..< (try reader.readInt32()) { results.append((try reader.readInt32(), try reader.readInt64(), try reader.readInt16())) }
            }
            return results
        }
    }

    @Test func deleteRecordsMovesTheStartAndRefusesWhatItCannotDo() async throws {
        let results = try await deleteRecords([("rides", 0, 15), ("rides", 1, 1), ("rides", 7, 0), ("nosuch", 0, 0), ("rides", 0, -5)])
        #expect(results.map(\.2) == [0, ErrorCode.offsetOutOfRange.rawValue, ErrorCode.unknownTopicOrPartition.rawValue,
                                     ErrorCode.unknownTopicOrPartition.rawValue, ErrorCode.offsetOutOfRange.rawValue])
        #expect(results[0].1 == 15 && results[1].1 == -1)
        #expect(try broker.listOffset(TopicPartition("rides", PartitionID(0)), .earliest) == Offset(15))
        #expect(try await deleteRecords([("rides", 0, -1)]).map(\.1) == [40], "-1: up to the high watermark")
        broker.protect("rides", reason: "a run in this process uses it")
        let refused = try await deleteRecords([("rides", 1, 0)])
        #expect(refused.map(\.2) == [ErrorCode.policyViolation.rawValue], "a live run's topic")
    }

    // MARK: - Groups

    @Test func deleteGroupsAndOffsetDeleteKnowUnknownGroups() async throws {
        let rides0 = TopicPartition("rides", PartitionID(0)), rides1 = TopicPartition("rides", PartitionID(1))
        _ = await broker.coordinator.commitOffsets(groupID: "fare", offsets: [rides0: CommittedOffset(offset: Offset(5)), rides1: CommittedOffset(offset: Offset(0))])
        try await call(.offsetDelete, version: 0) { writer in
            writer.writeString("fare")
            writer.write(Int32(1))
            writer.writeString("rides")
            writer.write(Int32(1))
            writer.write(Int32(1))
        } read: { (reader: inout ByteReader) throws in
            #expect(try reader.readInt16() == 0)
            #expect(try reader.readInt32() == 0)
            #expect(try reader.readInt32() == 1 && reader.readString() == "rides" && reader.readInt32() == 1)
            #expect(try reader.readInt32() == 1 && reader.readInt16() == 0)
        }
        #expect(await broker.coordinator.fetchOffsets(groupID: "fare").keys.sorted() == [rides0], "p1's offset alone deleted")
        #expect(await broker.coordinator.deleteOffsets(groupID: "nosuch", partitions: [rides0]).error == .groupIdNotFound)
        let unknown = try await call(.offsetDelete, version: 0) { writer in
            writer.writeString("fare")
            writer.write(Int32(2))
            for (topic, partition) in [("nosuch", Int32(0)), ("rides", Int32(9))] {
                writer.writeString(topic)
                writer.write(Int32(1))
                writer.write(partition)
            }
        } read: { (reader: inout ByteReader) throws -> [Int16] in
            _ = try reader.readInt16()
            _ = try reader.readInt32()
            var codes: [Int16] = []
            for _ in 0 ..< (try reader.readInt32()) {
                _ = try reader.readString()
                for _ in 0 ..< (try reader.readInt32()) {
                    _ = try reader.readInt32()
                    codes.append(try reader.readInt16())
                }
            }
            return codes
        }
        #expect(unknown == [ErrorCode.unknownTopicOrPartition.rawValue, ErrorCode.unknownTopicOrPartition.rawValue])

        let codes = try await call(.deleteGroups, version: 1) { writer in
            writer.write(Int32(4))
            for group in ["fare", "nosuch", "", "fare"] { writer.writeString(group) }
        } read: { reader in
            #expect(try reader.readInt32() == 0)
            var codes: [String: Int16] = [:]
            for _ in 0 ..< (try reader.readInt32()) { codes[try reader.readString()] = try reader.readInt16() }
            return codes
        }
        #expect(codes == ["fare": 0, "nosuch": ErrorCode.groupIdNotFound.rawValue, "": ErrorCode.invalidGroupId.rawValue], "fare twice: answered once")
        #expect(await broker.coordinator.listGroups().isEmpty)
        try broker.close()
        let reopened = try Self.openBroker(dir)
        defer { try? reopened.close() }
        #expect(await reopened.coordinator.listGroups().isEmpty, "the deletion is durable")
    }
}
