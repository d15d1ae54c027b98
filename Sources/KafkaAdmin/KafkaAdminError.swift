import KafkaWire

/// Why a request to a Kafka-compatible broker failed. Every case names the broker address.
public enum KafkaAdminError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The address is not HOST:PORT.
    case badAddress(String)
    /// No connection, or it broke (refused, reset, timed out); `reason` is the system's.
    case unreachable(address: String, reason: String)
    /// The broker answered with bytes this client cannot read.
    case malformedResponse(address: String, api: String, reason: String)
    /// The broker does not serve any version of an API this client needs.
    case unsupported(address: String, api: String)
    /// The broker answered with a Kafka error.
    case kafka(address: String, api: String, code: ErrorCode, message: String?)

    public var description: String {
        switch self {
        case let .badAddress(address): return "--bootstrap \(address): expected HOST:PORT, e.g. 127.0.0.1:9092"
        case let .unreachable(address, reason): return "cannot reach a Kafka broker at \(address): \(reason)"
        case let .malformedResponse(address, api, reason): return "\(address) answered \(api) with bytes that are not Kafka's: \(reason)"
        case let .unsupported(address, api): return "\(address) does not serve \(api) in any version this client speaks"
        case let .kafka(address, api, code, message):
            return "\(address) refused \(api): \(code.name)\(message.map { " (\($0))" } ?? "")"
        }
    }
}
