/// How to reach a Kafka cluster: bootstrap servers and librdkafka client properties passed
/// through as they are (`security.protocol`, `sasl.mechanisms`, `ssl.ca.location`, ...; see
/// librdkafka's CONFIGURATION.md).
public struct KafkaSettings: Sendable, Hashable {
    /// "host:port[,host:port...]".
    public var bootstrapServers: String
    public var properties: [String: String]

    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
    }
}

#if KafkaCluster
import CRdKafka

extension KafkaSettings {
    /// A librdkafka configuration: `defaults`, then these settings' properties over them, then
    /// `required` over everything (what the client's semantics depend on, such as its group
    /// id); the error names the property librdkafka refused and why. The caller owns the
    /// result until `rd_kafka_new` takes it.
    func makeConfiguration(required: [String: String] = [:], defaults: [String: String] = [:]) throws(KafkaClusterError) -> OpaquePointer {
        let configuration = rd_kafka_conf_new()!
        let all = defaults.merging(properties) { _, user in user }
            .merging(required) { _, fixed in fixed }
            .merging(["bootstrap.servers": bootstrapServers]) { _, servers in servers }
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            var error = [CChar](repeating: 0, count: 512)
            if rd_kafka_conf_set(configuration, key, value, &error, error.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(configuration)
                throw KafkaClusterError("Kafka client property \(key)=\(value): \(text(of: error))")
            }
        }
        return configuration
    }

    /// Creates a client handle of `type` from a configuration; destroys the configuration if
    /// librdkafka refuses it.
    static func makeHandle(_ type: rd_kafka_type_t, _ configuration: OpaquePointer) throws(KafkaClusterError) -> OpaquePointer {
        var error = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, configuration, &error, error.count) else {
            rd_kafka_conf_destroy(configuration)
            throw KafkaClusterError("cannot create a Kafka client: \(text(of: error))")
        }
        return handle
    }
}

/// The text librdkafka wrote into an error buffer.
func text(of buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

/// librdkafka's text for an error code.
func describe(_ code: rd_kafka_resp_err_t) -> String { String(cString: rd_kafka_err2str(code)) }
#endif
