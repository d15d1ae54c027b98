import ArgumentParser
import Foundation
import RidePipeline

/// `ridestream produce`: the simulator alone, producing to a broker reached over the network.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Run the driver simulator alone, producing to a Kafka cluster or a `ridestream broker serve` (--bootstrap)."
    )

    @OptionGroup var pipeline: PipelineOptions

    func run() async throws {
        let terminal = CommandLineTerminal.shared
        do {
            let runner = try roleRunner(pipeline, terminal: terminal)
            let report: PipelineRunner.ProducerReport
            do { report = try await runner.runProducer() } catch { throw CommandFailure(error) }
            terminal.line("== produced \(report.events) events (\(report.simulatedSeconds) simulated s) in \(String(format: "%.1f", report.wallSeconds)) s wall\(report.stoppedEarly ? ", stopped early" : "")")
            for (partition, end) in report.eventsPerPartition.enumerated() {
                terminal.line("  partition \(partition): log end \(end)")
            }
        } catch {
            throw error.exit(terminal)
        }
    }
}

/// `ridestream consume --group G`: one group's consumers alone, writing the group's database.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Run one group's consumers alone against a Kafka cluster or a `ridestream broker serve` (--bootstrap), writing the group's SQLite file."
    )

    @OptionGroup var pipeline: PipelineOptions

    @Option(help: "The group: fare, analytics or support.")
    var group: String

    @Option(help: "Consumers of the group in this process.")
    var consumers = 1

    @Option(help: "Exit once the group has stored everything in the log and the log has not grown for this many seconds (default: run until Ctrl-C).")
    var exitWhenIdle: Double?

    func validate() throws {
        guard GroupName(rawValue: group) != nil else { throw ValidationError("--group must be fare, analytics or support, got '\(group)'") }
        guard consumers >= 1, consumers <= 100 else { throw ValidationError("--consumers must be between 1 and 100, got \(consumers)") }
        if let exitWhenIdle, exitWhenIdle <= 0 { throw ValidationError("--exit-when-idle must be positive, got \(exitWhenIdle)") }
    }

    func run() async throws {
        let terminal = CommandLineTerminal.shared
        do {
            let runner = try roleRunner(pipeline, terminal: terminal)
            let report: PipelineRunner.ConsumerReport
            do {
                report = try await runner.runConsumers(
                    group: GroupName(rawValue: group)!, count: consumers, exitWhenIdle: exitWhenIdle.map { .milliseconds(Int64($0 * 1000)) }
                )
            } catch {
                throw CommandFailure(error)
            }
            terminal.line("== group \(report.group.rawValue) -> \(report.database): this process wrote \(report.events) events in \(report.transactions) transactions\(report.stoppedBySignal ? " (stopped)" : "")")
            for consumer in report.consumers {
                terminal.line("  \(consumer.id)  partitions \(consumer.partitions.map(String.init).joined(separator: ",")), \(consumer.records) records")
            }
            let lag = zip(report.logEnds, report.storedOffsets).map { max(0, $0 - $1) }.reduce(0, +)
            terminal.line("  stored offsets \(report.storedOffsets.map(String.init).joined(separator: " ")), log ends \(report.logEnds.map(String.init).joined(separator: " ")), lag \(lag)")
        } catch {
            throw error.exit(terminal)
        }
    }
}

/// A runner for a role command: the configuration (or exit 2 with its error, as `simulate`
/// does), graceful stop on SIGINT / SIGTERM. Nothing in the data directory is cleared: other
/// processes of the same group may be using it.
private func roleRunner(_ pipeline: PipelineOptions, terminal: Terminal) throws(CommandFailure) -> PipelineRunner {
    let configuration: PipelineConfiguration
    do { configuration = try pipeline.load() } catch { throw CommandFailure(error.description, exitCode: 2) }
    var options = RunOptions()
    options.fresh = false
    options.handleSignals = true
    return PipelineRunner(configuration: configuration, options: options, terminal: terminal)
}
