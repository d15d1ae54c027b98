import ArgumentParser
import RidePipeline

/// The data directory option shared by the inspection commands.
struct DataDirectoryOptions: ParsableArguments {
    @Option(help: "The data directory of a run.")
    var dataDir = "Data"

    var inspector: DataDirectoryInspector { DataDirectoryInspector(dataDirectory: dataDir) }
}

/// `ridestream topics list|describe`.
struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics", abstract: "Show the topics of a data directory.",
        subcommands: [List.self, Describe.self], defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Topics with partition and event counts.")
        @OptionGroup var options: DataDirectoryOptions
        func run() throws { print(try options.inspector.topicsList()) }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each partition's offsets, size and segments.")
        @OptionGroup var options: DataDirectoryOptions
        @Argument(help: "A topic (default: all).") var topic: String?
        func run() throws { print(try options.inspector.topicDescription(topic)) }
    }
}

/// `ridestream groups list|describe`.
struct GroupsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups", abstract: "Show the consumer groups of a data directory.",
        subcommands: [List.self, Describe.self], defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Groups with committed partitions and lag.")
        @OptionGroup var options: DataDirectoryOptions
        func run() throws { print(try options.inspector.groupsList()) }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Committed and stored offsets, lag, last assignment and consumers.")
        @OptionGroup var options: DataDirectoryOptions
        @Argument(help: "A group (default: all).") var group: String?
        func run() throws { print(try options.inspector.groupDescription(group)) }
    }
}

/// `ridestream report`.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Summarise the databases of a data directory.")
    @OptionGroup var options: DataDirectoryOptions
    func run() throws { print(try options.inspector.report()) }
}
