import ArgumentParser
import Broker
import BrokerServer
import Foundation
import Groups
import Logging
import LogStore
import RidePipeline

/// `ridestream broker serve`: the built-in broker on Kafka's wire protocol.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker", abstract: "Run the built-in broker for Kafka clients.", subcommands: [Serve.self]
    )

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a data directory's broker on the Kafka protocol (kcat, librdkafka, kafka-python)."
        )

        @OptionGroup var server: ServerOptions
        @Option(help: "The data directory; the broker lives in <dir>/broker.") var dataDir = "Data"
        @Option(help: "Partitions of topics created automatically.") var defaultPartitions = 1
        @Option(help: "Largest record batch a producer may send, in bytes (Kafka message.max.bytes).") var maxBatchBytes = 1_048_588
        @Flag(inversion: .prefixedEnableDisable, help: "Create unknown topics when a producer or consumer names them.")
        var autoCreateTopics = true
        @Option(help: "Wait this long for more members before a new group's first rebalance (Kafka group.initial.rebalance.delay.ms).")
        var initialRebalanceDelayMs: Int64 = 3000

        func validate() throws {
            guard defaultPartitions >= 1 else { throw ValidationError("--default-partitions must be at least 1, got \(defaultPartitions)") }
            guard maxBatchBytes >= 1024 else { throw ValidationError("--max-batch-bytes must be at least 1024, got \(maxBatchBytes)") }
            guard initialRebalanceDelayMs >= 0 else {
                throw ValidationError("--initial-rebalance-delay-ms must not be negative, got \(initialRebalanceDelayMs)")
            }
        }

        func run() async throws {
            var brokerConfiguration = BrokerConfiguration(dataDirectory: dataDir + "/broker")
            brokerConfiguration.defaultPartitions = defaultPartitions
            brokerConfiguration.autoCreateTopics = autoCreateTopics
            brokerConfiguration.log.maxBatchBytes = maxBatchBytes
            brokerConfiguration.groups.initialRebalanceDelayMs = initialRebalanceDelayMs
            let broker = try Broker(configuration: brokerConfiguration)
            let server = KafkaServer(broker: broker, configuration: server.configuration)
            let stop = StopSignal()
            stop.installHandlers()
            let close: @Sendable () async -> Void
            do {
                close = try await KafkaPort.open(broker: broker, server: server, announce: false)
            } catch {
                try? broker.close()
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
            print("ridestream broker: Kafka protocol on \(server.configuration.displayAddress(port: server.boundPort)), data in \(dataDir)/broker")
            fflush(nil)
            while !stop.isSet { try await Task.sleep(for: .milliseconds(100)) }
            await close()
            try broker.close()
            print("ridestream broker: stopped, logs closed cleanly")
        }
    }
}
