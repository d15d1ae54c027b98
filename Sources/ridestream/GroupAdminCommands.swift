import ArgumentParser
import Foundation
import RidePipeline

extension GroupsCommand {
    /// `groups reset-offsets`, as `kafka-consumer-groups --reset-offsets`.
    struct ResetOffsets: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets",
            abstract: "Move a group's committed offsets (shown first; --execute commits them). Refused while the group has members.",
            discussion: """
            New offsets are kept within each partition's log (its start to its end), as Kafka keeps them. A RideStream \
            sink resumes from the offsets stored in its own database, not from these.
            """
        )
        @OptionGroup var source: InspectionSource
        @Option(help: "The group.") var group: String
        @Option(help: ArgumentHelp("A topic, or some of its partitions: rides or rides:0,2 (repeatable).", valueName: "topic[:partitions]"))
        var topic: [String] = []
        @Flag(help: "Every topic the group has committed offsets for.") var allTopics = false
        @Flag(help: "To each partition's log start.") var toEarliest = false
        @Flag(help: "To each partition's log end.") var toLatest = false
        @Option(help: "To this offset.") var toOffset: Int64?
        @Option(help: ArgumentHelp("To the first record at or after this time: ISO 8601, e.g. 2026-12-01T08:30:00Z (UTC unless it names a zone).", valueName: "datetime"))
        var toDatetime: String?
        @Option(parsing: .unconditional, help: ArgumentHelp("Move each committed offset by N (negative: back, as in --shift-by -100).", valueName: "n"))
        var shiftBy: Int64?
        @Flag(help: "Show the plan only (the default).") var dryRun = false
        @Flag(help: "Commit the new offsets.") var execute = false
        @Option(help: "text or json.") var format: OutputFormat = .text

        func validate() throws {
            let targets = [toEarliest, toLatest, toOffset != nil, toDatetime != nil, shiftBy != nil].filter { $0 }.count
            guard targets == 1 else {
                throw ValidationError("give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by (got \(targets))")
            }
            guard topic.isEmpty == allTopics else { throw ValidationError("give --topic (one or more) or --all-topics, not both") }
            guard !(dryRun && execute) else { throw ValidationError("--dry-run and --execute contradict each other") }
            for selection in topic where TopicSelection(parsing: selection) == nil {
                throw ValidationError("--topic \(selection): expected a topic or topic:partition[,partition...], e.g. rides:0,2")
            }
            if let toDatetime, Self.milliseconds(toDatetime) == nil {
                throw ValidationError("--to-datetime \(toDatetime): expected ISO 8601, e.g. 2026-12-01T08:30:00Z or 2026-12-01T08:30:00.250+05:30")
            }
            if let toOffset, toOffset < 0 { throw ValidationError("--to-offset \(toOffset): an offset is 0 or more") }
        }

        var target: OffsetResetTarget {
            if toEarliest { return .earliest }
            if toLatest { return .latest }
            if let toOffset { return .offset(toOffset) }
            if let toDatetime, let time = Self.milliseconds(toDatetime) { return .datetime(time) }
            return .shiftBy(shiftBy ?? 0)
        }

        /// ISO 8601 with or without fractional seconds; no zone means UTC.
        static func milliseconds(_ text: String) -> Int64? {
            for zoned in [text, text + "Z"] {
                for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
                    let formatter = ISO8601DateFormatter()
                    formatter.formatOptions = options
                    if let date = formatter.date(from: zoned) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
                }
            }
            return nil
        }

        func run() throws {
            let topics = allTopics ? nil : topic.compactMap(TopicSelection.init(parsing:))
            let target = target, execute = execute, group = group, format = format
            func render(_ plan: OffsetResetPlan) throws -> String { try format.render(plan) { plan.text } }
            try source.show(
                directory: { try render($0.resetOffsets(group: group, topics: topics, to: target, execute: execute)) },
                live: { try render($0.resetOffsets(group: group, topics: topics, to: target, execute: execute)) }
            )
        }
    }

    /// `groups delete`, as `kafka-consumer-groups --delete`.
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a group and its committed offsets. Refused while it has members; a sink's database keeps its rows and offsets."
        )
        @OptionGroup var source: InspectionSource
        @Argument(help: "The group.") var group: String

        func run() throws {
            let done = "Deletion of group '\(group)' was successful."
            try source.show(directory: { try $0.deleteGroup(group); return done }, live: { try $0.deleteGroup(group); return done })
        }
    }
}
