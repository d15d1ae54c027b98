/// A failure of the librdkafka clients, with librdkafka's own message and what was being done.
public struct KafkaClusterError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// librdkafka's error code (`rd_kafka_resp_err_t`), when there is one.
    public var code: Int32?

    public init(_ message: String, code: Int32? = nil) {
        self.message = message
        self.code = code
    }

    public var description: String { message }
}
