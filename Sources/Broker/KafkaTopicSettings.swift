import Foundation
import KafkaWire
import LogStore

/// The topic settings the broker honours, under their Kafka names: what CreateTopics,
/// AlterConfigs and IncrementalAlterConfigs may set and DescribeConfigs (and `topics
/// describe`) report.
///
/// Topic settings that can be set: `retention.ms`, `retention.bytes` (-1: no limit),
/// `segment.bytes`, `segment.ms`, `max.message.bytes`; `cleanup.policy` is accepted only as
/// `delete`, the one policy this broker has. Each topic setting has a broker-wide synonym
/// (`log.retention.ms`, ...) whose value applies when the topic does not override it.
public enum KafkaTopicSettings {
    /// A setting refused: the message names it and what it takes.
    public struct Problem: Error, Sendable {
        public var message: String
        public init(message: String) { self.message = message }
    }

    /// One settable topic setting: its names and how it reads and writes a configuration.
    private struct TopicSetting: Sendable {
        var name: String
        var brokerName: String
        var type: DescribeConfigs.ValueType
        /// The values accepted, as a range, and whether -1 ("no limit") is accepted too.
        var range: ClosedRange<Int64>
        var unlimited: Bool
        var override: @Sendable (TopicConfiguration) -> String?
        var effective: @Sendable (LogConfiguration) -> String
        /// Sets the override, or removes it (nil).
        var set: @Sendable (inout TopicConfiguration, Int64?) -> Void
    }

    private static let topicSettings: [TopicSetting] = [
        TopicSetting(
            name: "retention.ms", brokerName: "log.retention.ms", type: .long, range: 1 ... Int64.max, unlimited: true,
            override: { $0.retentionMilliseconds.map(String.init) }, effective: { String($0.retentionMilliseconds ?? -1) },
            set: { $0.retentionMilliseconds = $1 }
        ),
        TopicSetting(
            name: "retention.bytes", brokerName: "log.retention.bytes", type: .long, range: 1 ... Int64.max, unlimited: true,
            override: { $0.retentionBytes.map(String.init) }, effective: { String($0.retentionBytes ?? -1) },
            set: { $0.retentionBytes = $1 }
        ),
        TopicSetting(
            name: "segment.bytes", brokerName: "log.segment.bytes", type: .int, range: 1024 ... Int64(Int32.max), unlimited: false,
            override: { $0.segmentBytes.map(String.init) }, effective: { String($0.segmentBytes) },
            set: { $0.segmentBytes = $1.map { Int($0) } }
        ),
        TopicSetting(
            name: "segment.ms", brokerName: "log.roll.ms", type: .long, range: 1 ... Int64.max, unlimited: false,
            override: { $0.segmentMilliseconds.map(String.init) }, effective: { String($0.segmentMilliseconds) },
            set: { $0.segmentMilliseconds = $1 }
        ),
        TopicSetting(
            name: "max.message.bytes", brokerName: "message.max.bytes", type: .int,
            range: Int64(RecordBatchHeader.size) ... Int64(Int32.max), unlimited: false,
            override: { $0.maxMessageBytes.map(String.init) }, effective: { String($0.maxBatchBytes) },
            set: { $0.maxMessageBytes = $1.map { Int($0) } }
        ),
    ]

    /// Applies CreateTopics settings to a configuration; the error names the setting.
    public static func apply(_ configs: [CreateTopics.Config], to configuration: inout TopicConfiguration) throws(Problem) {
        for config in configs {
            guard let value = config.value else { continue }
            try set(config.name, to: value, in: &configuration)
        }
    }

    /// Sets one topic setting by its Kafka name; the error names the setting and what it takes.
    /// Surrounding whitespace is ignored, as Kafka ignores it.
    public static func set(_ name: String, to given: String, in configuration: inout TopicConfiguration) throws(Problem) {
        let value = given.trimmingCharacters(in: .whitespaces)
        if name == "cleanup.policy" {
            guard value == "delete" else { throw Problem(message: "cleanup.policy '\(value)' is not supported; only 'delete' is") }
            return
        }
        let setting = try self.setting(name)
        guard let number = Int64(value), setting.range.contains(number) || (setting.unlimited && number == -1) else {
            let bounds = "\(setting.range.lowerBound) to \(setting.range.upperBound)\(setting.unlimited ? ", or -1 for no limit" : "")"
            throw Problem(message: "\(name) must be an integer from \(bounds), got '\(value)'")
        }
        setting.set(&configuration, number)
    }

    /// Removes a topic's override of one setting, so the broker's value applies again.
    public static func clear(_ name: String, in configuration: inout TopicConfiguration) throws(Problem) {
        guard name != "cleanup.policy" else { return }
        try setting(name).set(&configuration, nil)
    }

    /// Whether a setting holds a list (the only kind IncrementalAlterConfigs may append to or
    /// subtract from).
    public static func isList(_ name: String) -> Bool { name == "cleanup.policy" }

    private static func setting(_ name: String) throws(Problem) -> TopicSetting {
        guard let setting = topicSettings.first(where: { $0.name == name }) else {
            throw Problem(message: "unknown or unsupported topic setting '\(name)' (settable: \(settableNames))")
        }
        return setting
    }

    public static var settableNames: String { (topicSettings.map(\.name) + ["cleanup.policy"]).joined(separator: ", ") }

    /// A topic's settings as DescribeConfigs reports them: overrides with source TOPIC_CONFIG,
    /// the rest with the broker's value.
    public static func entries(_ configuration: TopicConfiguration, broker: BrokerConfiguration) -> [DescribeConfigs.Entry] {
        let effective = configuration.logConfiguration(defaults: broker.log)
        var entries = topicSettings.map { setting in
            let brokerValue = setting.effective(broker.log)
            let brokerSynonym = DescribeConfigs.Synonym(name: setting.brokerName, value: brokerValue, source: .staticBrokerConfig)
            if let override = setting.override(configuration) {
                return DescribeConfigs.Entry(
                    name: setting.name, value: override, readOnly: false, source: .topicConfig, type: setting.type,
                    synonyms: [DescribeConfigs.Synonym(name: setting.name, value: override, source: .topicConfig), brokerSynonym]
                )
            }
            return DescribeConfigs.Entry(
                name: setting.name, value: setting.effective(effective), readOnly: false, source: .staticBrokerConfig,
                type: setting.type, synonyms: [brokerSynonym]
            )
        }
        entries += fixed([
            ("cleanup.policy", "delete", .list), ("compression.type", "producer", .string),
            ("message.timestamp.type", "CreateTime", .string),
            ("flush.messages", flushMessages(effective.flush), .long), ("flush.ms", flushMilliseconds(effective.flush), .long),
            ("index.interval.bytes", String(effective.indexIntervalBytes), .int),
        ])
        return entries
    }

    private static func fixed(_ values: [(String, String, DescribeConfigs.ValueType)]) -> [DescribeConfigs.Entry] {
        values.map { DescribeConfigs.Entry(name: $0.0, value: $0.1, readOnly: true, source: .defaultConfig, type: $0.2) }
    }

    /// Kafka's `flush.messages`: Long.MAX_VALUE for "leave it to the OS".
    public static func flushMessages(_ policy: FlushPolicy) -> String {
        switch policy {
        case .never: return String(Int64.max)
        case .everyAppend: return "1"
        case let .interval(records, _): return String(records.map(Int64.init) ?? Int64.max)
        }
    }

    public static func flushMilliseconds(_ policy: FlushPolicy) -> String {
        switch policy {
        case .never: return String(Int64.max)
        case .everyAppend: return "0"
        case let .interval(_, milliseconds): return String(milliseconds ?? Int64.max)
        }
    }
}
