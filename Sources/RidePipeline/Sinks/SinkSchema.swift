/// The tables every group database has besides its own.
///
/// - `consumer_offsets`: the next offset to read per topic partition, written in the same
///   transaction as the rows it covers (the exactly-once record);
/// - `batches`: one row per transaction: which consumer wrote which partition's offsets;
/// - `rebalances`: the group's generations with members and assignment (as the leader saw it).
///
/// `PRAGMA user_version` holds `SinkSchema.version`; `PRAGMA application_id` marks the file as
/// RideStream's.
enum SinkSchema {
    static let version: Int64 = 1
    static let applicationID: Int64 = 0x5249_4445  // "RIDE"

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
        """
}
