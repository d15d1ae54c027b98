import SQLite

/// A rebalance as its group's database holds it (`rebalance_timeline`), for summaries and
/// reports.
public struct RecordedRebalance: Codable, Sendable, Hashable {
    /// A partition whose owner changed with this generation (`from` nil: nobody had it, or
    /// this is the first generation recorded).
    public struct Move: Codable, Sendable, Hashable {
        public var partition: Int
        public var from: String?
        public var to: String
        /// The partition's topic where a group reads more than one (a broker's groups); nil
        /// for a run's groups, which read its one topic.
        public var topic: String?

        public init(partition: Int, from: String?, to: String, topic: String? = nil) {
            self.partition = partition
            self.from = from
            self.to = to
            self.topic = topic
        }
    }

    public var generation: Int32
    /// Seconds of simulated time from the run's first tick (nil for rows of older files).
    public var runSecond: Double?
    public var cause: String
    public var story: String
    /// Each member and its partitions (an idle member has none); empty for rows of files
    /// older than the assignment table.
    public var assignment: [String: [Int]] = [:]
    public var moves: [Move] = []

    enum CodingKeys: String, CodingKey {
        case generation, cause, story, assignment, moves
        case runSecond = "run_second"
    }

    public init(
        generation: Int32, runSecond: Double?, cause: String, story: String, assignment: [String: [Int]] = [:], moves: [Move] = []
    ) {
        self.generation = generation
        self.runSecond = runSecond
        self.cause = cause
        self.story = story
        self.assignment = assignment
        self.moves = moves
    }
}

extension RecordedRebalance {
    /// Every rebalance a group database recorded, by generation, with each generation's
    /// assignment and the partitions that moved (from `rebalance_assignments`).
    public static func all(in database: Database) throws(SQLiteError) -> [RecordedRebalance] {
        let statement = try database.prepare("SELECT generation, run_second, cause, story FROM rebalance_timeline")
        var result: [RecordedRebalance] = []
        var index: [Int32: Int] = [:]
        while try statement.step() {
            index[Int32(statement.int(0))] = result.count
            result.append(RecordedRebalance(
                generation: Int32(statement.int(0)), runSecond: statement.isNull(1) ? nil : statement.double(1),
                cause: statement.string(2) ?? "", story: statement.string(3) ?? ""
            ))
        }
        let rows = try database.prepare(
            #"SELECT generation, consumer, "partition", previous_consumer FROM rebalance_assignments ORDER BY generation, "partition""#
        )
        while try rows.step() {
            guard let at = index[Int32(rows.int(0))] else { continue }
            let consumer = rows.string(1) ?? ""
            guard !rows.isNull(2) else {
                if result[at].assignment[consumer] == nil { result[at].assignment[consumer] = [] }  // idle
                continue
            }
            let partition = Int(rows.int(2))
            result[at].assignment[consumer, default: []].append(partition)
            let previous = rows.isNull(3) ? nil : rows.string(3)
            if previous != consumer { result[at].moves.append(.init(partition: partition, from: previous, to: consumer)) }
        }
        return result
    }
}
