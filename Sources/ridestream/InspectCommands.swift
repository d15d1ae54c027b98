import ArgumentParser
import Dashboard
import Foundation
import RidePipeline

/// The data directory option shared by the inspection commands.
struct DataDirectoryOptions: ParsableArguments {
    @Option(help: "The data directory of a run.")
    var dataDir = "Data"

    var inspector: DataDirectoryInspector { DataDirectoryInspector(dataDirectory: dataDir) }

    /// Prints what `view` returns, or the reason it cannot be shown: a directory in use names
    /// its holder and, when the holder serves one, the Kafka port to look through instead.
    func show(_ view: (DataDirectoryInspector) throws -> String) throws {
        let terminal = CommandLineTerminal.shared
        do {
            terminal.line(try view(inspector))
        } catch {
            throw Self.failure(error).exit(terminal)
        }
    }

    static func failure(_ error: any Error) -> CommandFailure {
        guard let error = error as? DataDirectoryError else { return CommandFailure("\(error)", exitCode: 1) }
        var message = error.description
        if let address = error.holderKafkaAddress {
            message += ". It serves the Kafka port \(address): look at it live with kcat -b \(address) -L"
                + " (or any Kafka client, e.g. kcat -b \(address) -C -t driver-locations -o end)"
        }
        return CommandFailure(message, exitCode: 1)
    }
}

/// Where `topics` and `groups` look: a stopped data directory, or a Kafka port. A directory
/// a serving process holds (`simulate --serve`, `broker serve`) is asked through that
/// process's Kafka port instead of refused.
struct InspectionSource: ParsableArguments {
    @OptionGroup var directory: DataDirectoryOptions
    @Option(help: "Ask a Kafka broker instead of reading --data-dir: HOST:PORT[,HOST:PORT] of this one's Kafka port or of any Kafka cluster.")
    var bootstrap: String?
    @Option(help: "How long each request to a Kafka port may take, in milliseconds.")
    var timeoutMs: Int32 = 10_000

    func validate() throws {
        guard timeoutMs >= 1 else { throw ValidationError("--timeout-ms \(timeoutMs): at least 1") }
    }

    func show(directory view: (DataDirectoryInspector) throws -> String, live: (KafkaPortInspector) throws -> String) throws {
        let terminal = CommandLineTerminal.shared
        if let bootstrap { return try showLive(bootstrap, live) }
        do {
            terminal.line(try view(directory.inspector))
        } catch let error as DataDirectoryError {
            guard let address = error.holderKafkaAddress else { throw DataDirectoryOptions.failure(error).exit(terminal) }
            terminal.line("(\(error.description.prefix { $0 != ";" }); asking its Kafka port \(address))", to: .standardError)
            try showLive(address, live)
        } catch {
            throw DataDirectoryOptions.failure(error).exit(terminal)
        }
    }

    private func showLive(_ address: String, _ live: (KafkaPortInspector) throws -> String) throws {
        let terminal = CommandLineTerminal.shared
        do {
            terminal.line(try live(try KafkaPortInspector(bootstrap: address, timeoutMs: timeoutMs)))
        } catch {
            throw CommandFailure("\(error)", exitCode: 1).exit(terminal)
        }
    }
}

/// `ridestream topics list|describe`.
struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics", abstract: "Show the topics of a data directory, or of a live broker through its Kafka port.",
        subcommands: [List.self, Describe.self], defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Topics with partition and event counts.")
        @OptionGroup var source: InspectionSource
        @Option(help: "text or json.") var format: OutputFormat = .text
        func run() throws {
            func render(_ topics: [TopicView]) throws -> String { try format.render(topics) { DataDirectoryInspector.topicsListText(topics) } }
            try source.show(directory: { try render($0.topicViews()) }, live: { try render($0.topicViews()) })
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each partition's offsets, size, segments and oldest segment, and the topic's settings with their sources."
        )
        @OptionGroup var source: InspectionSource
        @Argument(help: "A topic (default: all).") var topic: String?
        @Option(help: "text or json.") var format: OutputFormat = .text
        func run() throws {
            func render(_ topics: [TopicView]) throws -> String { try format.render(topics) { DataDirectoryInspector.topicsDescriptionText(topics) } }
            try source.show(directory: { try render($0.topicViews(topic)) }, live: { try render($0.topicViews(topic)) })
        }
    }
}

/// `ridestream groups list|describe`.
struct GroupsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups", abstract: "Show the consumer groups of a data directory, or of a live broker through its Kafka port.",
        discussion: """
        CURRENT-OFFSET is a group's committed offset, the one Kafka tools show and reset; LAG is \
        the log end minus it. A RideStream sink (fare, analytics, support) keeps its own offset, \
        STORED, in its database with its rows, and resumes from that one.
        """,
        subcommands: [List.self, Describe.self, ResetOffsets.self, Delete.self], defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Groups with their state, members, partitions and lag.")
        @OptionGroup var source: InspectionSource
        @Option(help: "text or json.") var format: OutputFormat = .text
        func run() throws {
            func render(_ groups: [GroupView]) throws -> String { try format.render(groups) { GroupView.listText(groups) } }
            try source.show(directory: { try render($0.groupViews()) }, live: { try render($0.groupViews()) })
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each partition's committed offset, log end, lag, owner and stored offset (as kafka-consumer-groups --describe)."
        )
        @OptionGroup var source: InspectionSource
        @Argument(help: "A group (default: all).") var group: String?
        @Flag(help: "One row per member: its id, host, client id and partitions.") var members = false
        @Flag(help: "One row per group: assignment strategy, state, generation, members.") var state = false
        @Option(help: "text or json (the whole description, whichever view).") var format: OutputFormat = .text

        func validate() throws {
            guard !(members && state) else { throw ValidationError("--members and --state are two views: give one") }
        }

        func run() throws {
            func render(_ groups: [GroupView]) throws -> String {
                try format.render(groups) {
                    members ? GroupView.membersText(groups) : state ? GroupView.stateText(groups) : GroupView.offsetsText(groups)
                }
            }
            try source.show(directory: { try render($0.groupViews(group)) }, live: { try render($0.groupViews(group)) })
        }
    }
}

/// `ridestream report`: the databases' summary as text, as JSON (`--json`), or as one
/// self-contained HTML file with its charts (`--html FILE`).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Summarise the databases of a data directory (as text, JSON or an HTML page with charts)."
    )
    @OptionGroup var options: DataDirectoryOptions
    @Option(help: "Write the report as one self-contained HTML file with its charts (opens offline in any browser).")
    var html: String?
    @Flag(help: "Print the report as JSON (the same as --format json).")
    var json = false
    @Option(help: "text or json.") var format: OutputFormat = .text

    func run() throws {
        let terminal = CommandLineTerminal.shared
        let json = json || format == .json
        guard html != nil || json else { return try options.show { try $0.report() } }
        if let html {
            do { try SimulateCommand.checkWritable(html, flag: "--html") } catch { throw error.exit(terminal) }
        }
        try options.show { inspector in
            let report = try inspector.runReport()
            var lines: [String] = []
            if let html {
                do {
                    try Data(ReportPage.html(report).utf8).write(to: URL(fileURLWithPath: html))
                } catch {
                    throw CommandFailure("--html \(html): cannot write it: \(error.localizedDescription)", exitCode: 1)
                }
                if !json { lines.append("HTML report written to \(html)") }
            }
            if json { lines.append(try OutputFormat.json(report)) }
            return lines.joined(separator: "\n")
        }
    }
}

/// `ridestream verify`: checks a whole data directory, read-only.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a data directory without changing it: log checksums and offsets, committed offsets, each database's integrity and stored offsets.",
        discussion: "Exits 0 when everything checks out, 1 with a report of every problem otherwise."
    )
    @OptionGroup var options: DataDirectoryOptions

    func run() throws {
        var problems = 0
        try options.show { inspector in
            let report = try inspector.verify()
            problems = report.problems
            return report.text
        }
        if problems > 0 { throw ExitCode(1) }
    }
}
