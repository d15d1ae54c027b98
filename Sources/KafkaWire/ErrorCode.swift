/// A Kafka protocol error code.
///
/// Codes are data, not thrown errors: responses carry them per partition or per group. The
/// numbers are Kafka's (see the "Error Codes" table of the Kafka protocol guide).
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// Success. Named `noError` rather than `none` so that it never reads as `Optional.none`.
    public static let noError = ErrorCode(rawValue: 0)
    public static let unknownServerError = ErrorCode(rawValue: -1)
    public static let offsetOutOfRange = ErrorCode(rawValue: 1)
    public static let corruptMessage = ErrorCode(rawValue: 2)
    public static let unknownTopicOrPartition = ErrorCode(rawValue: 3)
    public static let invalidFetchSize = ErrorCode(rawValue: 4)
    public static let requestTimedOut = ErrorCode(rawValue: 7)
    public static let messageTooLarge = ErrorCode(rawValue: 10)
    public static let offsetMetadataTooLarge = ErrorCode(rawValue: 12)
    public static let coordinatorNotAvailable = ErrorCode(rawValue: 15)
    public static let notCoordinator = ErrorCode(rawValue: 16)
    public static let invalidTopicException = ErrorCode(rawValue: 17)
    public static let recordListTooLarge = ErrorCode(rawValue: 18)
    public static let invalidRequiredAcks = ErrorCode(rawValue: 21)
    public static let illegalGeneration = ErrorCode(rawValue: 22)
    public static let inconsistentGroupProtocol = ErrorCode(rawValue: 23)
    public static let invalidGroupId = ErrorCode(rawValue: 24)
    public static let unknownMemberId = ErrorCode(rawValue: 25)
    public static let invalidSessionTimeout = ErrorCode(rawValue: 26)
    public static let rebalanceInProgress = ErrorCode(rawValue: 27)
    public static let invalidCommitOffsetSize = ErrorCode(rawValue: 28)
    public static let unsupportedVersion = ErrorCode(rawValue: 35)
    public static let topicAlreadyExists = ErrorCode(rawValue: 36)
    public static let invalidPartitions = ErrorCode(rawValue: 37)
    public static let invalidReplicationFactor = ErrorCode(rawValue: 38)
    public static let invalidRequest = ErrorCode(rawValue: 42)
    /// The request breaks a rule of this broker (a topic a live run uses): POLICY_VIOLATION.
    public static let policyViolation = ErrorCode(rawValue: 44)
    public static let outOfOrderSequenceNumber = ErrorCode(rawValue: 45)
    public static let duplicateSequenceNumber = ErrorCode(rawValue: 46)
    public static let invalidProducerEpoch = ErrorCode(rawValue: 47)
    public static let invalidReplicaAssignment = ErrorCode(rawValue: 39)
    public static let invalidConfig = ErrorCode(rawValue: 40)
    /// A disk the log needs failed (full, read-only, I/O error): KAFKA_STORAGE_ERROR.
    public static let kafkaStorageError = ErrorCode(rawValue: 56)
    public static let nonEmptyGroup = ErrorCode(rawValue: 68)
    public static let groupIdNotFound = ErrorCode(rawValue: 69)
    public static let memberIdRequired = ErrorCode(rawValue: 79)
    public static let groupMaxSizeReached = ErrorCode(rawValue: 81)
    /// OffsetDelete of a topic the group's members still consume: GROUP_SUBSCRIBED_TO_TOPIC.
    public static let groupSubscribedToTopic = ErrorCode(rawValue: 86)

    public var description: String { "Kafka error \(rawValue)" }
}
