/// The response shape CreateTopics, DeleteTopics and CreatePartitions share: optional
/// throttle_time_ms first, then one (name, error_code[, error_message]) entry per topic.
public struct TopicResult: Hashable, Sendable {
    public var name: String
    public var error: ErrorCode
    public var message: String?

    public init(name: String, error: ErrorCode, message: String? = nil) {
        self.name = name
        self.error = error
        self.message = message
    }

    static func responseBody(_ results: [TopicResult], throttleTime: Bool, messages: Bool) -> [UInt8] {
        var writer = ByteWriter(capacity: 16 + results.count * 32)
        if throttleTime { writer.write(Int32(0)) }
        writer.write(Int32(results.count))
        for result in results {
            writer.writeString(result.name)
            writer.write(result.error.rawValue)
            if messages { writer.writeNullableString(result.error == .noError ? nil : result.message) }
        }
        return writer.take()
    }
}
