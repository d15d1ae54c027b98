import KafkaWire

/// A topic name checked against Kafka's rules: 1 to 249 characters from `[a-zA-Z0-9._-]`, and
/// not "." or "..".
public struct TopicName: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public static let maxLength = 249
    public let rawValue: String

    public init?(rawValue: String) {
        guard (try? Self.validate(rawValue)) != nil else { return nil }
        self.rawValue = rawValue
    }

    public init(validating name: String) throws(BrokerError) {
        try Self.validate(name)
        rawValue = name
    }

    public var description: String { rawValue }

    /// Whether the name is one of the broker's own internal topics (`__` prefix).
    public var isInternal: Bool { rawValue.hasPrefix("__") }

    public static func validate(_ name: String) throws(BrokerError) {
        guard !name.isEmpty else { throw BrokerError(.invalidTopicException, "topic name is empty") }
        guard name != "." && name != ".." else {
            throw BrokerError(.invalidTopicException, "topic name '\(name)' is not allowed")
        }
        guard name.utf8.count <= maxLength else {
            throw BrokerError(.invalidTopicException, "topic name is \(name.utf8.count) characters, the maximum is \(maxLength)")
        }
        if let bad = name.unicodeScalars.first(where: { !isLegal($0) }) {
            throw BrokerError(
                .invalidTopicException,
                "topic name '\(name)' contains '\(bad)'; only ASCII letters, digits, '.', '_' and '-' are allowed"
            )
        }
    }

    private static func isLegal(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a" ... "z", "A" ... "Z", "0" ... "9", ".", "_", "-": return true
        default: return false
        }
    }
}
