/// How `simulate` treats the data directory and reports.
public struct RunOptions: Sendable {
    /// Clear the previous run's outputs first (the default), or keep them and continue.
    public var fresh = true
    /// Continue an interrupted run: keep the log and databases, produce only the events the log
    /// does not have yet, and let the consumers carry on from their stored offsets.
    public var resume = false
    /// Where to write the JSON summary, if anywhere.
    public var jsonSummaryPath: String?
    /// Live progress on one redrawn line (a terminal) or plain periodic lines.
    public var interactive = false
    /// Progress lines at all.
    public var showProgress = true

    public init() {}
}
