/// How `simulate` treats the data directory and reports.
public struct RunOptions: Sendable {
    /// Clear the previous run's outputs first (the default). False keeps them: allowed only
    /// when they hold no earlier run's events (or with `resume`), so nothing is stored twice.
    public var fresh = true
    /// Continue an interrupted run: keep the log and databases, produce only the events the log
    /// does not have yet, and let the consumers carry on from their stored offsets.
    public var resume = false
    /// Progress lines at all (a status line on a terminal, plain lines otherwise).
    public var showProgress = true
    /// Stop gracefully on SIGINT and SIGTERM (the command line); tests stop a run with
    /// `PipelineRunner.stop()` instead.
    public var handleSignals = false
    /// Who this process is, for the data directory's lock (`DataDirectory`).
    public var holder = DirectoryHolder.current
    /// Where the run records its metrics (the dashboard's registry); none by default.
    public var metrics = RunMetrics.none

    public init() {}
}
