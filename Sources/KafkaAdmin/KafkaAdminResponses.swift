import KafkaWire

/// The responses `BootstrapClient` reads, in the versions it asks for (non-flexible). Field
/// layouts as in Kafka's message schemas; each decoder reads every field and fails on
/// anything short or left over, naming the broker and API.
enum KafkaAdminResponses {
    /// Runs `read` over `body`; a `WireError` becomes `malformedResponse`, and so do bytes left.
    static func decode<Result>(
        _ body: [UInt8], address: String, api: String, _ read: (inout ByteReader) throws -> Result
    ) throws(KafkaAdminError) -> Result {
        do {
            return try body.withUnsafeBytes { raw in
                var reader = ByteReader(raw)
                let result = try read(&reader)
                guard reader.isAtEnd else { throw WireError(.malformed, "\(reader.remaining) bytes after the response", at: reader.position) }
                return result
            }
        } catch let error as KafkaAdminError {
            throw error
        } catch {
            throw KafkaAdminError.malformedResponse(address: address, api: api, reason: "\(error)")
        }
    }

    /// Metadata v1: brokers [node_id, host, port, rack], controller_id, topics [error_code,
    /// name, is_internal, partitions [error_code, partition_index, leader_id, replica_nodes,
    /// isr_nodes]].
    static func metadata(_ reader: inout ByteReader) throws -> ClusterMetadata {
        var brokers: [Int32: (host: String, port: Int)] = [:]
        for _ in 0 ..< (try reader.readCount("broker", minimumElementBytes: 12)) {
            let id = try reader.readInt32()
            brokers[id] = (try reader.readString(), Int(try reader.readInt32()))
            _ = try reader.readNullableString()
        }
        _ = try reader.readInt32()
        var topics: [ClusterMetadata.Topic] = []
        for _ in 0 ..< (try reader.readCount("topic", minimumElementBytes: 9)) {
            let error = ErrorCode(rawValue: try reader.readInt16())
            let name = try reader.readString()
            let isInternal = try reader.readBool()
            var leaders: [Int32: Int32] = [:]
            for _ in 0 ..< (try reader.readCount("partition", minimumElementBytes: 18)) {
                _ = try reader.readInt16()
                let partition = try reader.readInt32()
                leaders[partition] = try reader.readInt32()
                for _ in 0 ..< 2 { for _ in 0 ..< (try reader.readCount("replica", minimumElementBytes: 4)) { _ = try reader.readInt32() } }
            }
            topics.append(ClusterMetadata.Topic(name: name, error: error, isInternal: isInternal, leaders: leaders))
        }
        return ClusterMetadata(brokers: brokers, topics: topics)
    }

    /// FindCoordinator v1: throttle_time_ms, error_code, error_message, node_id, host, port.
    static func coordinator(_ reader: inout ByteReader) throws -> (error: ErrorCode, message: String?, node: Int32, host: String, port: Int) {
        _ = try reader.readInt32()
        let error = ErrorCode(rawValue: try reader.readInt16())
        let message = try reader.readNullableString()
        return (error, message, try reader.readInt32(), try reader.readString(), Int(try reader.readInt32()))
    }

    /// ListOffsets v1: topics [name, partitions [partition_index, error_code, timestamp, offset]].
    static func listOffsets(_ reader: inout ByteReader) throws -> [TopicPartition: (error: ErrorCode, offset: Int64)] {
        var offsets: [TopicPartition: (error: ErrorCode, offset: Int64)] = [:]
        for _ in 0 ..< (try reader.readCount("topic", minimumElementBytes: 6)) {
            let name = try reader.readString()
            for _ in 0 ..< (try reader.readCount("partition", minimumElementBytes: 22)) {
                let partition = try reader.readInt32()
                let error = ErrorCode(rawValue: try reader.readInt16())
                _ = try reader.readInt64()
                offsets[TopicPartition(name, PartitionID(partition))] = (error, try reader.readInt64())
            }
        }
        return offsets
    }

    /// ListGroups v0: error_code, groups [group_id, protocol_type].
    static func listGroups(_ reader: inout ByteReader) throws -> (error: ErrorCode, groups: [(id: String, protocolType: String)]) {
        let error = ErrorCode(rawValue: try reader.readInt16())
        var groups: [(id: String, protocolType: String)] = []
        for _ in 0 ..< (try reader.readCount("group", minimumElementBytes: 4)) { groups.append((try reader.readString(), try reader.readString())) }
        return (error, groups)
    }

    /// DescribeGroups v0: groups [error_code, group_id, group_state, protocol_type,
    /// protocol_data, members [member_id, client_id, client_host, member_metadata,
    /// member_assignment]].
    static func describeGroups(_ reader: inout ByteReader) throws -> [DescribedGroup] {
        var groups: [DescribedGroup] = []
        for _ in 0 ..< (try reader.readCount("group", minimumElementBytes: 14)) {
            let error = ErrorCode(rawValue: try reader.readInt16())
            var group = DescribedGroup(
                error: error, groupID: try reader.readString(), state: try reader.readString(), protocolType: try reader.readString(),
                protocolName: try reader.readString(), members: []
            )
            for _ in 0 ..< (try reader.readCount("member", minimumElementBytes: 14)) {
                let id = try reader.readString(), client = try reader.readString(), host = try reader.readString()
                _ = try reader.readNullableBytes()
                let assignment = try reader.readNullableBytes() ?? []
                let partitions = group.protocolType == "consumer" ? ((try? ConsumerAssignment.decode(assignment))?.partitions ?? []) : []
                group.members.append(DescribedGroup.Member(memberID: id, clientID: client, clientHost: host, assignment: partitions))
            }
            groups.append(group)
        }
        return groups
    }

    /// OffsetFetch v2: topics [name, partitions [partition_index, committed_offset, metadata,
    /// error_code]], error_code.
    /// A null topic array (some brokers' answer when they cannot list every partition) reads
    /// as none.
    static func offsetFetch(_ reader: inout ByteReader) throws -> (error: ErrorCode, offsets: [TopicPartition: Int64]) {
        var offsets: [TopicPartition: Int64] = [:]
        for _ in 0 ..< (try reader.readNullableCount("topic", minimumElementBytes: 6) ?? 0) {
            let name = try reader.readString()
            for _ in 0 ..< (try reader.readCount("partition", minimumElementBytes: 16)) {
                let partition = try reader.readInt32()
                let offset = try reader.readInt64()
                _ = try reader.readNullableString()
                if ErrorCode(rawValue: try reader.readInt16()) == .noError, offset >= 0 { offsets[TopicPartition(name, PartitionID(partition))] = offset }
            }
        }
        return (ErrorCode(rawValue: try reader.readInt16()), offsets)
    }

    /// DescribeConfigs v1: throttle_time_ms, results [error_code, error_message, resource_type,
    /// resource_name, configs [name, value, read_only, config_source, is_sensitive, synonyms
    /// [name, value, source]]].
    static func describeConfigs(_ reader: inout ByteReader) throws -> [(error: ErrorCode, message: String?, configs: [TopicSetting])] {
        _ = try reader.readInt32()
        var results: [(error: ErrorCode, message: String?, configs: [TopicSetting])] = []
        for _ in 0 ..< (try reader.readCount("resource", minimumElementBytes: 11)) {
            let error = ErrorCode(rawValue: try reader.readInt16())
            let message = try reader.readNullableString()
            _ = try reader.readInt8()
            _ = try reader.readString()
            var configs: [TopicSetting] = []
            for _ in 0 ..< (try reader.readCount("config", minimumElementBytes: 11)) {
                let name = try reader.readString(), value = try reader.readNullableString()
                let readOnly = try reader.readBool(), source = try reader.readInt8()
                _ = try reader.readBool()
                for _ in 0 ..< (try reader.readCount("synonym", minimumElementBytes: 5)) {
                    _ = try reader.readString()
                    _ = try reader.readNullableString()
                    _ = try reader.readInt8()
                }
                configs.append(TopicSetting(name: name, value: value, source: source, readOnly: readOnly))
            }
            results.append((error, message, configs))
        }
        return results
    }

    /// OffsetCommit v2: topics [name, partitions [partition_index, error_code]].
    static func partitionCodes(_ reader: inout ByteReader) throws -> [TopicPartition: ErrorCode] {
        var codes: [TopicPartition: ErrorCode] = [:]
        for _ in 0 ..< (try reader.readCount("topic", minimumElementBytes: 6)) {
            let name = try reader.readString()
            for _ in 0 ..< (try reader.readCount("partition", minimumElementBytes: 6)) {
                codes[TopicPartition(name, PartitionID(try reader.readInt32()))] = ErrorCode(rawValue: try reader.readInt16())
            }
        }
        return codes
    }

    /// DeleteGroups v0: throttle_time_ms, results [group_id, error_code].
    static func groupCodes(_ reader: inout ByteReader) throws -> [(group: String, code: ErrorCode)] {
        _ = try reader.readInt32()
        var results: [(group: String, code: ErrorCode)] = []
        for _ in 0 ..< (try reader.readCount("group", minimumElementBytes: 4)) {
            results.append((try reader.readString(), ErrorCode(rawValue: try reader.readInt16())))
        }
        return results
    }
}
