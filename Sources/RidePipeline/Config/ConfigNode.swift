import Yams

/// A YAML node with its dotted key path, for reading typed values with errors that name the
/// file, line and key.
struct ConfigNode {
    let node: Node
    let path: String
    let file: String

    var line: Int? { node.mark?.line }

    func fail(_ problem: String) -> ConfigError {
        ConfigError(file: file, line: line, key: path, problem: problem)
    }

    /// The mapping's children, refusing keys not in `allowed`.
    func mapping(allowed: Set<String>) throws(ConfigError) -> [String: ConfigNode] {
        guard let mapping = node.mapping else { throw fail("must be a mapping of keys to values") }
        var result: [String: ConfigNode] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw fail("has a key that is not text") }
            let child = ConfigNode(node: value, path: path.isEmpty ? key : "\(path).\(key)", file: file)
            guard allowed.contains(key) else {
                throw ConfigError(
                    file: file, line: keyNode.mark?.line, key: child.path,
                    problem: "unknown key; expected one of: \(allowed.sorted().joined(separator: ", "))"
                )
            }
            result[key] = child
        }
        return result
    }

    /// A mapping with arbitrary keys (such as region names).
    func entries() throws(ConfigError) -> [(key: String, value: ConfigNode)] {
        guard let mapping = node.mapping else { throw fail("must be a mapping") }
        var result: [(String, ConfigNode)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw fail("has a key that is not text") }
            result.append((key, ConfigNode(node: value, path: "\(path).\(key)", file: file)))
        }
        return result
    }

    func sequence() throws(ConfigError) -> [ConfigNode] {
        guard let sequence = node.sequence else { throw fail("must be a list") }
        return sequence.enumerated().map { ConfigNode(node: $0.element, path: "\(path)[\($0.offset)]", file: file) }
    }

    var isNull: Bool { node.null != nil }

    /// Whether the scalar may be read as a number. YAML 1.1's base-60 forms (`1:30:00`) are
    /// refused as the text they look like: nobody means them in a configuration, and the YAML
    /// library traps when one overflows (found by fuzzing the loader).
    private var isPlainNumber: Bool {
        guard let text = node.scalar?.string else { return false }
        return !text.contains(":")
    }

    func int(_ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard node.scalar != nil, node.bool == nil, isPlainNumber, let value = node.int else {
            throw fail("must be a whole number, got '\(node.string ?? "a non-scalar")'")
        }
        guard range.contains(value) else { throw fail(ConfigLimits.outOfRange(value, range)) }
        return value
    }

    func double(_ range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard node.scalar != nil, node.bool == nil, isPlainNumber, let value = node.float ?? node.int.map(Double.init) else {
            throw fail("must be a number, got '\(node.string ?? "a non-scalar")'")
        }
        guard range.contains(value) else { throw fail("must be between \(range.lowerBound) and \(range.upperBound), got \(value)") }
        return value
    }

    func bool() throws(ConfigError) -> Bool {
        guard node.scalar != nil, let value = node.bool else { throw fail("must be true or false, got '\(node.string ?? "")'") }
        return value
    }

    func string() throws(ConfigError) -> String {
        guard node.scalar != nil, let value = node.string, node.null == nil else { throw fail("must be text") }
        return value
    }
}
