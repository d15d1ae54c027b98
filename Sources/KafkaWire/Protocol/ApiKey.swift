/// A Kafka API: the first field of every request header.
///
/// Versions listed in `supported` are the ones this broker answers: non-flexible versions
/// (see KAFKA-PROTOCOL.md), except ListGroups v3–4, the only versions that report group
/// states; `firstFlexible` is where Kafka switched the API to compact encodings, request
/// header v2 and response header v1 (OffsetDelete has no flexible version).
public struct ApiKey: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let produce = ApiKey(rawValue: 0)
    public static let fetch = ApiKey(rawValue: 1)
    public static let listOffsets = ApiKey(rawValue: 2)
    public static let metadata = ApiKey(rawValue: 3)
    public static let offsetCommit = ApiKey(rawValue: 8)
    public static let offsetFetch = ApiKey(rawValue: 9)
    public static let findCoordinator = ApiKey(rawValue: 10)
    public static let joinGroup = ApiKey(rawValue: 11)
    public static let heartbeat = ApiKey(rawValue: 12)
    public static let leaveGroup = ApiKey(rawValue: 13)
    public static let syncGroup = ApiKey(rawValue: 14)
    public static let describeGroups = ApiKey(rawValue: 15)
    public static let listGroups = ApiKey(rawValue: 16)
    public static let apiVersions = ApiKey(rawValue: 18)
    public static let createTopics = ApiKey(rawValue: 19)
    public static let deleteTopics = ApiKey(rawValue: 20)
    public static let deleteRecords = ApiKey(rawValue: 21)
    public static let initProducerId = ApiKey(rawValue: 22)
    public static let describeConfigs = ApiKey(rawValue: 32)
    public static let alterConfigs = ApiKey(rawValue: 33)
    public static let createPartitions = ApiKey(rawValue: 37)
    public static let deleteGroups = ApiKey(rawValue: 42)
    public static let incrementalAlterConfigs = ApiKey(rawValue: 44)
    public static let offsetDelete = ApiKey(rawValue: 47)

    /// (first flexible version, lowest and highest version served) per API.
    static let table: [Int16: (name: String, firstFlexible: Int16, min: Int16, max: Int16)] = [
        0: ("Produce", 9, 3, 8), 1: ("Fetch", 12, 4, 11), 2: ("ListOffsets", 6, 1, 5), 3: ("Metadata", 9, 0, 8),
        8: ("OffsetCommit", 8, 0, 7), 9: ("OffsetFetch", 6, 1, 5), 10: ("FindCoordinator", 3, 0, 2),
        11: ("JoinGroup", 6, 0, 5), 12: ("Heartbeat", 4, 0, 3), 13: ("LeaveGroup", 4, 0, 3), 14: ("SyncGroup", 4, 0, 3),
        15: ("DescribeGroups", 5, 0, 4), 16: ("ListGroups", 3, 0, 4), 18: ("ApiVersions", 3, 0, 2),
        19: ("CreateTopics", 5, 2, 4), 20: ("DeleteTopics", 4, 0, 3), 21: ("DeleteRecords", 2, 0, 1),
        22: ("InitProducerId", 2, 0, 1), 32: ("DescribeConfigs", 4, 1, 3), 33: ("AlterConfigs", 2, 0, 1),
        37: ("CreatePartitions", 2, 0, 1), 42: ("DeleteGroups", 2, 0, 1), 44: ("IncrementalAlterConfigs", 1, 0, 0),
        47: ("OffsetDelete", .max, 0, 0),
    ]

    public var description: String { Self.table[rawValue]?.name ?? "ApiKey(\(rawValue))" }

    /// The versions this broker serves, or nil for an API it does not know.
    public var supported: ClosedRange<Int16>? {
        Self.table[rawValue].map { $0.min ... $0.max }
    }

    /// Whether this broker answers `version` of this API.
    public func serves(_ version: Int16) -> Bool { supported?.contains(version) ?? false }

    /// Whether `version` of this API uses flexible (compact, tagged) encodings.
    public func isFlexible(_ version: Int16) -> Bool {
        guard let first = Self.table[rawValue]?.firstFlexible else { return false }
        return version >= first
    }

    /// Every API this broker serves, by key.
    public static var all: [ApiKey] { table.keys.sorted().map(ApiKey.init(rawValue:)) }
}
