/// The DeleteTopics exchange (API key 20), versions 0–3.
///
/// Request: topic_names [string], timeout_ms int32. Response: throttle_time_ms (v1+), then
/// (name, error_code) per topic; no error messages before v5.
public enum DeleteTopics {
    public struct Request: Hashable, Sendable {
        public var names: [String]
        public var timeoutMs: Int32

        public static func decode(_ body: UnsafeRawBufferPointer) throws(WireError) -> Request {
            var reader = ByteReader(body)
            return Request(names: try reader.readStringArray("topic name"), timeoutMs: try reader.readInt32())
        }
    }

    public static func responseBody(version: Int16, _ results: [TopicResult]) -> [UInt8] {
        TopicResult.responseBody(results, throttleTime: version >= 1, messages: false)
    }
}
