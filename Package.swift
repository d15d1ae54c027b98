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
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // CRC-32C with the CPU's crc32 instruction when present, slicing-by-8 tables otherwise.
        .target(name: "CCRC32C"),
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
                "KafkaWire", "LogStore", "Groups",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ridestream",
            dependencies: [
                "Broker", "KafkaWire", "LogStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests
        .target(
            name: "TestSupport",
            dependencies: ["KafkaWire", "LogStore"],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "KafkaWireTests", dependencies: ["KafkaWire", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LogStoreTests", dependencies: ["LogStore", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "GroupsTests", dependencies: ["Groups", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "BrokerTests", dependencies: ["Broker", "TestSupport"], swiftSettings: swiftSettings),
    ]
)
