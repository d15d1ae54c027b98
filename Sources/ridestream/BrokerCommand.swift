import ArgumentParser
import Broker
import BrokerServer
import Foundation
import Groups
import Logging
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

        @Option(help: "Address to listen on (loopback by default).") var host = "127.0.0.1"
        @Option(help: "Port to listen on.") var port = 9092
        @Option(help: "Host clients are told to connect to (default: --host).") var advertisedHost: String?
        @Option(help: "The data directory; the broker lives in <dir>/broker.") var dataDir = "Data"
        @Option(help: "Partitions of topics created automatically.") var defaultPartitions = 1

        func run() async throws {
            var brokerConfiguration = BrokerConfiguration(dataDirectory: dataDir + "/broker")
            brokerConfiguration.defaultPartitions = defaultPartitions
            brokerConfiguration.groups.initialRebalanceDelayMs = 3000
            let broker = try Broker(configuration: brokerConfiguration)
            var configuration = ServerConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.advertisedHost = advertisedHost
            let server = KafkaServer(broker: broker, configuration: configuration)
            let stop = StopSignal()
            stop.installHandlers()
            let serving = Task {
                try await server.run { bound in
                    print("ridestream broker: Kafka protocol on \(host):\(bound), data in \(dataDir)/broker")
                    fflush(nil)
                }
            }
            while !stop.isSet { try await Task.sleep(for: .milliseconds(100)) }
            serving.cancel()
            _ = try? await serving.value
            try broker.close()
            print("ridestream broker: stopped, logs closed cleanly")
        }
    }
}
