/// The allowed range of each setting that both the configuration file and the command line
/// set: one table, so a flag can never pass what the file refuses (and the messages agree).
public enum ConfigLimits {
    public static let drivers = 1 ... 1_000_000
    /// Simulated seconds: at most a year.
    public static let durationSeconds = 1 ... 31_536_000
    public static let partitions = 1 ... 1000
    /// Consumers of one group.
    public static let consumers = 1 ... 64

    /// "must be between 1 and 1000, got 5000": the message for a value outside `range`.
    public static func outOfRange(_ value: Int, _ range: ClosedRange<Int>) -> String {
        "must be between \(range.lowerBound) and \(range.upperBound), got \(value)"
    }
}
