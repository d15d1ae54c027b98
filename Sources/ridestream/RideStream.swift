import ArgumentParser

/// The `ridestream` command: the root that lists the subcommands.
@main
struct RideStream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ridestream",
        abstract: "A single-binary event-streaming pipeline: built-in Kafka-style broker, simulator and SQLite sinks.",
        version: RideStreamVersion.current,
        subcommands: [SimulateCommand.self, ProduceCommand.self, ConsumeCommand.self, TopicsCommand.self, GroupsCommand.self, ReportCommand.self, DashboardCommand.self, VerifyCommand.self, RebuildCommand.self, BrokerCommand.self, BenchCommand.self]
    )
}

/// This build's version, printed by `ridestream --version`.
enum RideStreamVersion {
    static let current = "0.9.0"
}
