import Groups
import KafkaWire

/// Drives a `ConsumerGroup` on a manual clock and records the answers to parked requests.
struct GroupDriver {
    var group: ConsumerGroup
    var now: Int64 = 0
    var nextRequest: UInt64 = 0
    var joinAnswers: [RequestID: JoinResponse] = [:]
    var syncAnswers: [RequestID: SyncResponse] = [:]

    init(initialDelayMs: Int64 = 0) {
        var configuration = GroupConfiguration()
        configuration.initialRebalanceDelayMs = initialDelayMs
        let counter = Counter()
        group = ConsumerGroup(groupID: "g", configuration: configuration) { client in
            MemberID("\(client)-\(counter.next())")
        }
    }

    mutating func record(_ actions: [GroupAction]) {
        for action in actions {
            switch action {
            case let .answerJoin(id, response): joinAnswers[id] = response
            case let .answerSync(id, response): syncAnswers[id] = response
            }
        }
    }

    mutating func newID() -> RequestID {
        nextRequest += 1
        return RequestID(rawValue: nextRequest)
    }

    static func request(
        _ member: MemberID = .none, client: String = "c", session: Int32 = 10_000, protocols: [String] = ["range"], instance: String? = nil,
        requireKnownMemberID: Bool = false
    ) -> JoinRequest {
        JoinRequest(
            memberID: member, clientID: client, sessionTimeoutMs: session, rebalanceTimeoutMs: 5_000,
            protocols: protocols.map { GroupProtocol(name: $0, metadata: Array($0.utf8)) }, requireKnownMemberID: requireKnownMemberID,
            groupInstanceID: instance
        )
    }

    /// Sends a join; returns the request id (answered now or later in `joinAnswers`).
    mutating func join(_ request: JoinRequest) -> RequestID {
        let id = newID()
        let (answer, actions) = group.join(request, requestID: id, now: now)
        if let answer { joinAnswers[id] = answer }
        record(actions)
        return id
    }

    mutating func sync(
        _ member: MemberID, _ generation: GenerationID, _ assignments: [MemberID: [UInt8]] = [:], instance: String? = nil
    ) -> RequestID {
        let id = newID()
        let (answer, actions) = group.sync(
            memberID: member, generation: generation, assignments: assignments, instanceID: instance, requestID: id, now: now
        )
        if let answer { syncAnswers[id] = answer }
        record(actions)
        return id
    }

    mutating func leave(_ members: [MemberID]) -> [ErrorCode] {
        let (results, actions) = group.leave(memberIDs: members, now: now)
        record(actions)
        return results
    }

    mutating func advance(_ milliseconds: Int64) {
        now += milliseconds
        record(group.tick(now: now))
    }
}

final class Counter: @unchecked Sendable {
    private var value = 0
    func next() -> Int {
        value += 1
        return value
    }
}
