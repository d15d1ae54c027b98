// swift-tools-version: 6.1
import PackageDescription

/// Settings shared by every Swift target: Swift 6 strict concurrency plus the upcoming
/// features that keep existentials explicit and imports honest.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "RideStream",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ridestream", targets: ["ridestream"]),
        .library(name: "Broker", targets: ["Broker"]),
    ],
    traits: [
        .trait(
            name: "KafkaCluster",
            description: "Cluster mode: the pipeline on a real Kafka cluster through librdkafka (needs librdkafka-dev)."
        ),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // No swift-configuration support: the dashboard is configured by RideStream's own file.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // CRC-32C with the CPU's crc32 instruction when present, slicing-by-8 tables otherwise.
        .target(name: "CCRC32C"),
        // Thread and process CPU clocks, and the CPU time of a run charged to its stages.
        .target(name: "CPUTime", swiftSettings: swiftSettings),
        // Pure codec: RecordBatch v2, varints, murmur2, consumer protocol, error codes. No I/O.
        .target(name: "KafkaWire", dependencies: ["CCRC32C"], swiftSettings: swiftSettings),
        // Segments, indexes, recovery, retention: bytes in, bytes out.
        .target(
            name: "LogStore",
            dependencies: ["KafkaWire", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // The classic consumer-group protocol as a state machine, and the partition assignors.
        .target(name: "Groups", dependencies: ["KafkaWire"], swiftSettings: swiftSettings),
        // Topics, partitioners, produce / fetch, group coordinator, offsets, in-process clients.
        .target(
            name: "Broker",
            dependencies: [
                "KafkaWire", "LogStore", "Groups", "CPUTime",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // A small blocking Kafka admin client for the inspection commands' --bootstrap.
        .target(name: "KafkaAdmin", dependencies: ["KafkaWire"], swiftSettings: swiftSettings),
        // Kafka's wire protocol over TCP (SwiftNIO): framing, dispatch, per-connection order.
        .target(
            name: "BrokerServer",
            dependencies: [
                "Broker", "Groups", "KafkaWire", "LogStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The system libsqlite3 (Debian libsqlite3-dev) and a thin wrapper over its C API.
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "SQLite", dependencies: ["CSQLite", "CPUTime"], swiftSettings: swiftSettings),
        // Events, regions, geo maths. No dependencies.
        .target(name: "RideModel", swiftSettings: swiftSettings),
        // Simulator, fare / analytics / support processors, SQLite sinks, config, run orchestration.
        .target(
            name: "RidePipeline",
            dependencies: [
                "RideModel", "Broker", "KafkaWire", "KafkaAdmin", "LogStore", "Groups", "SQLite", "KafkaCluster", "CPUTime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The live dashboard and /metrics over HTTP (Hummingbird): the page, its JSON and
        // event-stream API, the control actions, Prometheus' text format (swift-prometheus).
        .target(
            name: "Dashboard",
            dependencies: [
                "RidePipeline", "Broker", "Groups", "KafkaWire", "LogStore", "RideModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ridestream",
            dependencies: [
                "RidePipeline", "Groups", "BrokerServer", "Broker", "CPUTime", "KafkaWire", "LogStore", "KafkaCluster", "Dashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // librdkafka, the client of cluster mode; only linked with the KafkaCluster trait.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        // Producer, consumer and admin clients over librdkafka (empty without the trait).
        .target(
            name: "KafkaCluster",
            dependencies: [.target(name: "CRdKafka", condition: .when(traits: ["KafkaCluster"]))],
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests
        .target(
            name: "TestSupport",
            dependencies: ["KafkaWire", "LogStore", "RideModel"],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        // libFuzzer targets (request dispatch, record batches, segment recovery, configuration):
        // `Tests/Fuzz/run-fuzzers` builds this with -sanitize=fuzzer; a plain build replays inputs.
        .executableTarget(
            name: "ridestream-fuzz",
            dependencies: [
                "Broker", "BrokerServer", "KafkaWire", "LogStore", "RidePipeline", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Fuzz", exclude: ["run-fuzzers"], swiftSettings: swiftSettings
        ),
        .testTarget(name: "KafkaWireTests", dependencies: ["KafkaWire", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LogStoreTests", dependencies: ["LogStore", "KafkaWire", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "GroupsTests", dependencies: ["Groups", "KafkaWire"], swiftSettings: swiftSettings),
        .testTarget(name: "BrokerTests", dependencies: ["Broker", "Groups", "KafkaWire", "LogStore", "RideModel", "TestSupport"], swiftSettings: swiftSettings),
        // Real Kafka tools (kcat, confluent-kafka, kafka-python) against `ridestream broker serve`.
        .testTarget(
            name: "InteropTests", dependencies: ["TestSupport", "KafkaWire"], exclude: ["python", "requirements.txt"],
            swiftSettings: swiftSettings
        ),
        // The Kafka-protocol dispatcher, driven with request bytes and no sockets.
        .testTarget(name: "BrokerServerTests", dependencies: ["BrokerServer", "Broker", "Groups", "KafkaWire", "LogStore", "RideModel", "TestSupport"], swiftSettings: swiftSettings),
        // librdkafka clients against `ridestream broker serve` (run with --traits KafkaCluster).
        .testTarget(name: "KafkaClusterTests", dependencies: ["KafkaCluster", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RideModelTests", dependencies: ["RideModel"], swiftSettings: swiftSettings),
        .testTarget(name: "RidePipelineTests", dependencies: ["RidePipeline", "CPUTime", "Broker", "Groups", "KafkaWire", "LogStore", "RideModel", "SQLite", "KafkaCluster", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DashboardTests",
            dependencies: [
                "Dashboard", "RidePipeline", "SQLite", "TestSupport", "Broker", "Groups", "KafkaWire", "LogStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
