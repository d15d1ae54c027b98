/// The tables every group database has besides its own.
///
/// - `consumer_offsets`: the next offset to read per topic partition, written in the same
///   transaction as the rows it covers (the exactly-once record);
/// - `batches`: one row per transaction: which consumer wrote which partition's offsets;
/// - `rebalances`: the group's generations with members and assignment (as the leader saw it);
/// - `log_gaps`: offsets the group never stored because retention deleted them from the log
///   first (partition, from, to: `to - from` events missing).
///
/// `PRAGMA user_version` holds `SinkSchema.version`; `PRAGMA application_id` marks the file as
/// RideStream's. Version 1 lacked `log_gaps`; opening one adds it (`migrations`).
enum SinkSchema {
    static let version: Int64 = 2
    static let applicationID: Int64 = 0x5249_4445  // "RIDE"

    /// DDL that brings a file of version N to N + 1, keyed by N.
    static let migrations: [Int64: String] = [1: logGaps]

    static let logGaps = """
        CREATE TABLE log_gaps (
            id INTEGER PRIMARY KEY,
            topic TEXT NOT NULL,
            "partition" INTEGER NOT NULL,
            from_offset INTEGER NOT NULL,
            to_offset INTEGER NOT NULL,
            consumer TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        """

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
            committed_at TEXT NOT NULL
        );
        CREATE INDEX batches_consumer ON batches (consumer, "partition");
        CREATE TABLE rebalances (
            generation INTEGER PRIMARY KEY,
            members TEXT NOT NULL,
            assignment TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        """ + logGaps
}
