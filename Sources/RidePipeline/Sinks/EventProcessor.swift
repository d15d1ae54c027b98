import KafkaWire
import RideModel
import SQLite

/// An event decoded from the log with where it came from. Its texts stay in the record's
/// bytes (`LocationEventView`).
public struct PositionedEvent: Sendable {
    public var partition: PartitionID
    public var offset: Offset
    public var event: LocationEventView

    public init(partition: PartitionID, offset: Offset, event: LocationEventView) {
        self.partition = partition
        self.offset = offset
        self.event = event
    }

    /// An event made here rather than read from the log (tests, benchmarks): the view a
    /// consumer would decode from its JSON.
    public init(partition: PartitionID, offset: Offset, event: LocationEvent) {
        self.init(partition: partition, offset: offset, event: LocationEventView(event))
    }
}

/// A group's business logic: the tables it owns and how a batch of events becomes rows.
///
/// Called only by its `SinkWriter`, inside the batch's transaction, with the events of one
/// partition in offset order. State that spans batches (an open trip, a driver's last
/// position) is read from and written to the database in the same transaction, never kept
/// only in memory, so that whichever consumer owns the partition next continues correctly.
/// A processor may keep a copy of rows it read or wrote to spare reading them again; the
/// file stays the truth, and the copy goes when `forgetFileState` is called.
protocol EventProcessor: AnyObject {
    /// DDL for the group's own tables and indexes.
    static var schema: String { get }

    init(database: Database, tariff: Tariff) throws(SQLiteError)

    /// Writes the rows for `events`; returns how many rows it inserted or changed.
    func process(_ events: ArraySlice<PositionedEvent>) throws(SQLiteError) -> Int

    /// Drops every copy of the file's rows kept from earlier transactions: another connection
    /// has committed to the file since, or the transaction that wrote them did not commit.
    func forgetFileState()
}

extension EventProcessor {
    func forgetFileState() {}
}

extension GroupName {
    /// The processor type of each group.
    var processorType: any EventProcessor.Type {
        switch self {
        case .fare: FareProcessor.self
        case .analytics: AnalyticsProcessor.self
        case .support: SupportProcessor.self
        }
    }
}
