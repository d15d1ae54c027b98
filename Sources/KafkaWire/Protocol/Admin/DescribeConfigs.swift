/// The DescribeConfigs exchange (API key 32), versions 1–3.
///
/// Request: resources [resource_type int8, resource_name, configuration_keys nullable
/// [string]], include_synonyms bool, include_documentation bool (v3+).
/// Response: throttle_time_ms, then per resource: error_code, error_message nullable,
/// resource_type, resource_name, configs [name, value nullable, read_only bool,
/// config_source int8, is_sensitive bool, synonyms [name, value nullable, source int8],
/// config_type int8 (v3+), documentation nullable (v3+)].
public enum DescribeConfigs {
    /// Kafka's resource types (`ConfigResource.Type`).
    public enum ResourceType: Int8, Sendable {
        case unknown = 0
        case topic = 2
        case broker = 4
    }

    /// Where a value comes from (`DescribeConfigsResponse.ConfigSource`); clients reject
    /// values outside 0–8.
    public enum Source: Int8, Sendable {
        case topicConfig = 1
        case staticBrokerConfig = 4
        case defaultConfig = 5
    }

    /// The value's type as v3 reports it.
    public enum ValueType: Int8, Sendable {
        case boolean = 1
        case string = 2
        case int = 3
        case long = 5
        case list = 7
    }

    public struct Resource: Hashable, Sendable {
        public var type: Int8
        public var name: String
        /// nil: every key.
        public var keys: [String]?
    }

    public struct Request: Hashable, Sendable {
        public var resources: [Resource]
        public var includeSynonyms: Bool

        public static func decode(_ body: UnsafeRawBufferPointer, version: Int16) throws(WireError) -> Request {
            var reader = ByteReader(body)
            let count = try reader.readCount("resource", minimumElementBytes: 7)
            var resources: [Resource] = []
            for _ in 0 ..< count {
                let type = try reader.readInt8()
                let name = try reader.readString()
                var keys: [String]?
                if let keyCount = try reader.readNullableCount("configuration key", minimumElementBytes: 2) {
                    var all: [String] = []
                    for _ in 0 ..< keyCount { all.append(try reader.readString()) }
                    keys = all
                }
                resources.append(Resource(type: type, name: name, keys: keys))
            }
            let synonyms = try reader.readBool()
            if version >= 3 { _ = try reader.readBool() }
            return Request(resources: resources, includeSynonyms: synonyms)
        }
    }

    /// The same setting at lower precedence (the broker default under a topic override).
    public struct Synonym: Hashable, Sendable {
        public var name: String
        public var value: String?
        public var source: Source

        public init(name: String, value: String?, source: Source) {
            self.name = name
            self.value = value
            self.source = source
        }
    }

    public struct Entry: Hashable, Sendable {
        public var name: String
        public var value: String?
        public var readOnly: Bool
        public var source: Source
        public var type: ValueType
        /// Sent only when the request asks for synonyms.
        public var synonyms: [Synonym]

        public init(name: String, value: String?, readOnly: Bool, source: Source, type: ValueType, synonyms: [Synonym] = []) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.source = source
            self.type = type
            self.synonyms = synonyms
        }
    }

    public struct Result: Hashable, Sendable {
        public var error: ErrorCode
        public var message: String?
        public var type: Int8
        public var name: String
        public var entries: [Entry]

        public init(error: ErrorCode, message: String?, type: Int8, name: String, entries: [Entry]) {
            self.error = error
            self.message = message
            self.type = type
            self.name = name
            self.entries = entries
        }
    }

    public static func responseBody(version: Int16, includeSynonyms: Bool, results: [Result]) -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        writer.write(Int32(0))
        writer.write(Int32(results.count))
        for result in results {
            writer.write(result.error.rawValue)
            writer.writeNullableString(result.message)
            writer.write(result.type)
            writer.writeString(result.name)
            writer.write(Int32(result.entries.count))
            for entry in result.entries {
                writer.writeString(entry.name)
                writer.writeNullableString(entry.value)
                writer.write(entry.readOnly)
                writer.write(entry.source.rawValue)
                writer.write(false)  // is_sensitive: nothing here is secret
                let synonyms = includeSynonyms ? entry.synonyms : []
                writer.write(Int32(synonyms.count))
                for synonym in synonyms {
                    writer.writeString(synonym.name)
                    writer.writeNullableString(synonym.value)
                    writer.write(synonym.source.rawValue)
                }
                if version >= 3 {
                    writer.write(entry.type.rawValue)
                    writer.writeNullableString(nil)  // documentation
                }
            }
        }
        return writer.take()
    }
}
