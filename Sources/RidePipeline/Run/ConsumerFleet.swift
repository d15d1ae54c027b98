/// Every pipeline consumer of the run, by group: starts them, applies scenario steps, and
/// reports on them.
actor ConsumerFleet {
    private struct Member {
        var consumer: PipelineConsumer
        var state: String
    }

    private let log: any EventLog
    private let writers: [GroupName: SinkWriter]
    private let configuration: PipelineConfiguration
    private var members: [GroupName: [Member]] = [:]
    /// What consumer names start with: the group's name, or more where several processes
    /// run consumers of one group (`ridestream consume`), so that names stay unique.
    private let namePrefix: String?

    init(log: any EventLog, writers: [GroupName: SinkWriter], configuration: PipelineConfiguration, namePrefix: String? = nil) {
        self.log = log
        self.namePrefix = namePrefix
        self.writers = writers
        self.configuration = configuration
    }

    /// Starts one more consumer in `group`, named `<group>-<n>`.
    @discardableResult
    func add(_ group: GroupName) async throws -> String {
        let name = "\(namePrefix ?? group.rawValue)-\((members[group]?.count ?? 0) + 1)"
        let consumer = PipelineConsumer(name: name, group: group, log: log, writer: writers[group]!, configuration: configuration)
        try await consumer.start()
        members[group, default: []].append(Member(consumer: consumer, state: "running"))
        return name
    }

    /// Applies a scenario step; returns what happened, for the log and the summary.
    func apply(_ step: ScenarioStep) async throws -> String {
        switch step.action {
        case .addConsumer:
            return "added \(try await add(step.group))"
        case .removeConsumer, .crashConsumer:
            guard let index = members[step.group]?.lastIndex(where: { $0.state == "running" }) else {
                return "no running \(step.group.rawValue) consumer to \(step.action == .crashConsumer ? "crash" : "remove")"
            }
            let member = members[step.group]![index].consumer
            if step.action == .crashConsumer {
                await member.crash()
                members[step.group]![index].state = "crashed"
                return "crashed \(member.name) (no leave: the group waits for its session to time out)"
            }
            await member.stop()
            members[step.group]![index].state = "stopped"
            return "removed \(member.name) (left the group cleanly)"
        }
    }

    /// Whether every group's running consumers have joined one generation that covers all
    /// partitions exactly once (members beyond the partition count idle). A group whose
    /// consumers were all stopped by the scenario has nothing to settle. The run waits for
    /// this before producing, so that the first events do not go to a member of a short-lived
    /// early generation.
    func settled(partitionCount: Int) async -> Bool {
        for (group, list) in members {
            let running = list.filter { $0.state == "running" }.map(\.consumer)
            if running.isEmpty { continue }
            var owned: [Int] = []
            for consumer in running {
                guard await consumer.hasRebalanced else { return false }
                owned += await consumer.assignment
            }
            guard owned.sorted() == Array(0 ..< partitionCount) else { return false }
            if let snapshot = await log.describeGroup(group.rawValue), snapshot.assignment.count != running.count { return false }
        }
        return true
    }

    /// Waits, for at most `limit`, until `settled`: before producing, and before the summary
    /// reports who owns what (a member whose session lapsed on a busy machine makes its group
    /// rebalance, and assignments are empty until it settles again).
    func waitUntilSettled(partitionCount: Int, limit: Duration = .seconds(30)) async throws {
        let start = ContinuousClock.now
        while !(await settled(partitionCount: partitionCount)), ContinuousClock.now - start < limit {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func running(_ group: GroupName) -> Int {
        members[group]?.filter { $0.state == "running" }.count ?? 0
    }

    /// The first consumer failure, if any.
    func failure() async -> String? {
        for group in GroupName.allCases {
            for member in members[group] ?? [] where member.state == "running" {
                if let failure = await member.consumer.failure { return failure }
            }
        }
        return nil
    }

    func summaries(_ group: GroupName) async -> [RunSummary.Consumer] {
        var result: [RunSummary.Consumer] = []
        for member in members[group] ?? [] {
            let partitions = member.state == "running" ? await member.consumer.assignment.sorted() : []
            result.append(RunSummary.Consumer(
                id: member.consumer.name, partitions: partitions, records: await member.consumer.records,
                transactions: await member.consumer.transactions, idle: member.state == "running" && partitions.isEmpty, state: member.state
            ))
        }
        return result
    }

    /// Events consumed so far by each group (for progress).
    func consumed(_ group: GroupName) async -> Int {
        var total = 0
        for member in members[group] ?? [] { total += await member.consumer.records }
        return total
    }

    func stopAll() async {
        for group in GroupName.allCases {
            for index in (members[group] ?? []).indices where members[group]![index].state == "running" {
                await members[group]![index].consumer.stop()
                members[group]![index].state = "stopped"
            }
        }
    }
}
