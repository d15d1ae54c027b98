import ArgumentParser
import Foundation

/// `--format text|json` of the inspection commands. JSON is one document, snake_case keys,
/// sorted, every documented key present (null where unknown), for scripts and `jq`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json

    /// `value` as JSON, or `text()` as text.
    func render<Value: Encodable>(_ value: Value, text: () -> String) throws -> String {
        guard self == .json else { return text() }
        return try Self.json(value)
    }

    static func json<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
