/// A group member's id, assigned by the coordinator: `<client id>-<random hex>`.
public struct MemberID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ value: String) { self.rawValue = value }

    public static let none = MemberID("")
    public var isEmpty: Bool { rawValue.isEmpty }
    public static func < (lhs: MemberID, rhs: MemberID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// A group's generation: grows by one each time a rebalance completes. Commits and heartbeats
/// name the generation they belong to; a stale one is refused with ILLEGAL_GENERATION.
public struct GenerationID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ value: Int32) { self.rawValue = value }

    /// The generation of a group that never completed a rebalance, and of standalone commits.
    public static let none = GenerationID(-1)
    public static func < (lhs: GenerationID, rhs: GenerationID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var next: GenerationID { GenerationID(rawValue == Int32.max ? 1 : rawValue + 1) }
    public var description: String { String(rawValue) }
}

/// Identifies one parked join or sync request inside the coordinator, so the caller that
/// owns the waiting continuation can be answered when the state machine says so.
public struct RequestID: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
}

/// The phases of the classic group protocol.
public enum GroupState: String, Hashable, Sendable {
    case empty = "Empty"
    case preparingRebalance = "PreparingRebalance"
    case completingRebalance = "CompletingRebalance"
    case stable = "Stable"
    case dead = "Dead"
}
