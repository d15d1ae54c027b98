/// The AlterConfigs (API key 33, versions 0–1, byte-identical) and IncrementalAlterConfigs
/// (API key 44, version 0) exchanges.
///
/// AlterConfigs request: resources [resource_type int8, resource_name, configs [name, value
/// nullable]], validate_only bool: the configs given replace the resource's whole set (those
/// left out return to their defaults). IncrementalAlterConfigs request: the same with a
/// config_operation int8 (0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT) between name and value:
/// only the named settings change. Both responses: throttle_time_ms, then responses
/// [error_code, error_message nullable, resource_type int8, resource_name].
public enum AlterConfigs {
    /// What an IncrementalAlterConfigs entry does to its setting.
    public enum Operation: Int8, Hashable, Sendable {
        case set = 0
        case delete = 1
        case append = 2
        case subtract = 3
    }

    public struct Change: Hashable, Sendable {
        public var name: String
        /// An `Operation` raw value (unknown ones are refused per resource); always `.set` in
        /// AlterConfigs.
        public var operation: Int8
        public var value: String?

        public init(name: String, operation: Int8, value: String?) {
            self.name = name
            self.operation = operation
            self.value = value
        }
    }

    public struct Resource: Hashable, Sendable {
        public var type: Int8
        public var name: String
        public var changes: [Change]
    }

    public struct Request: Hashable, Sendable {
        public var resources: [Resource]
        public var validateOnly: Bool
        /// IncrementalAlterConfigs: only the named settings change.
        public var incremental: Bool

        public static func decode(_ body: UnsafeRawBufferPointer, incremental: Bool) throws(WireError) -> Request {
            var reader = ByteReader(body)
            var resources: [Resource] = []
            for _ in 0 ..< (try reader.readCount("resource", minimumElementBytes: 7)) {
                let type = try reader.readInt8()
                let name = try reader.readString()
                var changes: [Change] = []
                for _ in 0 ..< (try reader.readCount("config", minimumElementBytes: incremental ? 5 : 4)) {
                    let key = try reader.readString()
                    let operation = incremental ? try reader.readInt8() : Operation.set.rawValue
                    changes.append(Change(name: key, operation: operation, value: try reader.readNullableString()))
                }
                resources.append(Resource(type: type, name: name, changes: changes))
            }
            return Request(resources: resources, validateOnly: try reader.readBool(), incremental: incremental)
        }
    }

    public struct Result: Hashable, Sendable {
        public var error: ErrorCode
        public var message: String?
        public var type: Int8
        public var name: String

        public init(error: ErrorCode, message: String? = nil, type: Int8, name: String) {
            self.error = error
            self.message = message
            self.type = type
            self.name = name
        }
    }

    public static func responseBody(_ results: [Result]) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + results.count * 48)
        writer.write(Int32(0))
        writer.write(Int32(results.count))
        for result in results {
            writer.write(result.error.rawValue)
            writer.writeNullableString(result.error == .noError ? nil : result.message)
            writer.write(result.type)
            writer.writeString(result.name)
        }
        return writer.take()
    }
}
