import ArgumentParser

/// `ridestream bench`: repeatable performance figures, reported beside a baseline measured by
/// the same run on the same machine.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput against baselines taken in the same run.",
        subcommands: [BrokerBenchCommand.self, PipelineBenchCommand.self, WireBenchCommand.self, MemoryProbeCommand.self]
    )
}
