import KafkaWire
import LogStore

/// Why a broker operation failed: a Kafka error code for clients plus a message naming the
/// topic, partition or file involved.
public struct BrokerError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    /// The storage error underneath, when there is one.
    public var cause: LogError?

    public init(_ code: ErrorCode, _ message: String, cause: LogError? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }

    static func unknownTopic(_ topic: String) -> BrokerError {
        BrokerError(.unknownTopicOrPartition, "unknown topic '\(topic)'")
    }

    static func unknownPartition(_ partition: TopicPartition, count: Int) -> BrokerError {
        BrokerError(
            .unknownTopicOrPartition,
            "topic '\(partition.topic)' has no partition \(partition.partition) (it has \(count): 0 ... \(count - 1))"
        )
    }

    /// Maps a storage error to the Kafka code a client would get.
    init(_ error: LogError, topicPartition: TopicPartition) {
        let code: ErrorCode
        switch error.kind {
        case .offsetOutOfRange: code = .offsetOutOfRange
        case .batchTooLarge: code = .messageTooLarge
        case .invalidBatch, .corruptSegment: code = .corruptMessage
        case .invalidConfiguration: code = .invalidConfig
        case .io, .offline: code = .kafkaStorageError
        case .closed, .readOnly: code = .unknownServerError
        }
        self.init(code, "\(topicPartition): \(error.message)\(error.path.map { " (\($0))" } ?? "")", cause: error)
    }
}
