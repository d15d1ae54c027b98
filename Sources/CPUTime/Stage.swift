/// The stages an event goes through in a pipeline run, each charged the CPU time spent in it.
///
/// From the driver simulator to the databases: `simulate` (the simulator's tick), `encode`
/// (events to JSON, keys, partitions), `append` (batching records into RecordBatches, their
/// CRC, the broker's append), `fetch` (the broker's read and the consumer's batch decode),
/// `decode` (each record's JSON to an event), `processing` (a group's Swift logic),
/// `sqlite` (SQLite executing the group's statements: binds, steps, resets) and `commit`
/// (the transaction's bookkeeping: the stored-offset check, the offset and batch rows,
/// BEGIN and COMMIT).
public enum Stage: Int, CaseIterable, Sendable {
    case simulate
    case encode
    case append
    case fetch
    case decode
    case processing
    case sqlite
    case commit

    /// The name in summaries and JSON.
    public var name: String {
        switch self {
        case .simulate: "simulate"
        case .encode: "encode"
        case .append: "append"
        case .fetch: "fetch"
        case .decode: "decode"
        case .processing: "processing"
        case .sqlite: "sqlite"
        case .commit: "commit"
        }
    }

    /// What the stage covers, in a few words (the summary's table).
    public var covers: String {
        switch self {
        case .simulate: "driver simulator"
        case .encode: "events to JSON"
        case .append: "record batches, broker append"
        case .fetch: "broker read, batch decode"
        case .decode: "JSON to events"
        case .processing: "groups' Swift logic"
        case .sqlite: "SQLite statements"
        case .commit: "offsets, BEGIN / COMMIT"
        }
    }
}
