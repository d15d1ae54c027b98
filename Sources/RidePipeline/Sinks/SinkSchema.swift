/// The tables every group database has besides its own.
///
/// - `consumer_offsets`: the next offset to read per topic partition, written in the same
///   transaction as the rows it covers (the exactly-once record);
/// - `batches`: one row per transaction: which consumer wrote which partition's offsets,
///   `last_event_ms`, the simulated time of its last event, and `produced_ms`, the simulated
///   time production had reached when it was committed (lag over time, after the run);
/// - `rebalances`: the group's generations as the leader saw them: `simulated_ms` and
///   `run_second` (simulated time, seconds from the run's first tick), `cause` (formed,
///   joined, left, session timeout, rejoined; several joined by ", "), `story` (what happened
///   in plain words, `RebalanceRecord`), and `members` / `assignment` as one line of text each;
/// - `rebalance_assignments`: the same assignment as rows: per generation, each consumer's
///   partitions (`partition` NULL: the consumer is idle) and `previous_consumer`, who had
///   the partition in the previous recorded generation (NULL: nobody, or the first one);
/// - `rebalance_timeline`: a view of `rebalances` in order, for reading;
/// - `member_rebalances`: each rebalance as each member lived it, one row per member per
///   round: `generation` (NULL where the log's client cannot tell: librdkafka keeps it to
///   itself), `consumer`, `protocol` (eager or cooperative), how many partitions it
///   `revoked` since its previous round, was `assigned` anew and `owned` afterwards, the same
///   as lists (`revoked_partitions`, ...: "0,3"), and `run_second`. Eagerly every round
///   revokes everything; cooperatively only what moved, so the two compare with one query.
///   On a Kafka cluster each librdkafka callback is a row (a revocation, an assignment);
/// - `log_gaps`: offsets the group never stored because retention deleted them from the log
///   first (partition, from, to: `to - from` events missing).
///
/// `PRAGMA user_version` holds `SinkSchema.version`; `PRAGMA application_id` marks the file as
/// RideStream's. A run writes only files of this version and refuses any other untouched
/// (`SinkError.schemaVersion`); inspection reads older files as they are. Version 7 stores
/// events in `location_event_rows` and makes `location_events` the view that reads them with
/// their texts (version 6 had those texts as generated columns of the table, which SQLite
/// computes on every insert); 6 keyed events by an integer made from the event id and kept
/// their time in integer milliseconds; 5 added `member_rebalances`, 4 `produced_ms`, 3 the
/// rebalance history and `last_event_ms`, 2 `log_gaps`.
enum SinkSchema {
    static let version: Int64 = 7
    static let applicationID: Int64 = 0x5249_4445  // "RIDE"

    /// The common tables, in the column order files of versions 2 to 5 reached by adding
    /// columns (`batches`' and `rebalances`' last ones), so `SELECT *` reads the same.
    static let common = """
        CREATE TABLE consumer_offsets (
            topic TEXT NOT NULL,
            "partition" INTEGER NOT NULL,
            next_offset INTEGER NOT NULL,
            PRIMARY KEY (topic, "partition")
        );
        CREATE TABLE batches (
            id INTEGER PRIMARY KEY,
            consumer TEXT NOT NULL,
            "partition" INTEGER NOT NULL,
            first_offset INTEGER NOT NULL,
            last_offset INTEGER NOT NULL,
            events INTEGER NOT NULL,
            rows INTEGER NOT NULL,
            committed_at TEXT NOT NULL,
            last_event_ms INTEGER,
            produced_ms INTEGER
        );
        CREATE INDEX batches_consumer ON batches (consumer, "partition");
        CREATE TABLE rebalances (
            generation INTEGER PRIMARY KEY,
            members TEXT NOT NULL,
            assignment TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            simulated_ms INTEGER,
            run_second REAL,
            cause TEXT NOT NULL DEFAULT '',
            story TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE log_gaps (
            id INTEGER PRIMARY KEY,
            topic TEXT NOT NULL,
            "partition" INTEGER NOT NULL,
            from_offset INTEGER NOT NULL,
            to_offset INTEGER NOT NULL,
            consumer TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE TABLE rebalance_assignments (
            generation INTEGER NOT NULL,
            consumer TEXT NOT NULL,
            "partition" INTEGER,
            previous_consumer TEXT
        );
        CREATE INDEX rebalance_assignments_generation ON rebalance_assignments (generation, "partition");
        CREATE VIEW rebalance_timeline AS
            SELECT generation, run_second, cause, story FROM rebalances ORDER BY generation;
        CREATE TABLE member_rebalances (
            id INTEGER PRIMARY KEY,
            generation INTEGER,
            consumer TEXT NOT NULL,
            protocol TEXT NOT NULL,
            revoked INTEGER NOT NULL,
            assigned INTEGER NOT NULL,
            owned INTEGER NOT NULL,
            revoked_partitions TEXT NOT NULL,
            assigned_partitions TEXT NOT NULL,
            owned_partitions TEXT NOT NULL,
            run_second REAL,
            recorded_at TEXT NOT NULL
        );
        """
}
