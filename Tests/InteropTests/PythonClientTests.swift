import Foundation
import KafkaWire
import TestSupport
import Testing

extension Interop {
    /// confluent-kafka (librdkafka) and kafka-python against `ridestream broker serve`. The
    /// scripts in `python/` do the client side and fail with a message naming what broke; `.ci/setup`
    /// installs both clients from PyPI into `.venv` (see `requirements.txt`).
    @Suite struct PythonClientTests {
        static var python: String { InteropServer.root.appendingPathComponent(".venv/bin/python").path }
        static var scripts: URL { InteropServer.root.appendingPathComponent("Tests/InteropTests/python") }

        /// Runs a script with the server's address; returns its standard output, or fails with
        /// its output and the server's log.
        static func run(_ script: String, against server: InteropServer, arguments: [String] = []) async throws -> String {
            try await finish(start(script, arguments: [server.bootstrap] + arguments), script, server)
        }

        static func start(_ script: String, arguments: [String]) throws -> ChildProcess {
            try #require(
                FileManager.default.isExecutableFile(atPath: python),
                "no Python clients: run `bash .ci/setup`, or `python3 -m venv .venv && .venv/bin/pip install -r Tests/InteropTests/requirements.txt`"
            )
            let path = scripts.appendingPathComponent(script).path
            return try ChildProcess(python, [path] + arguments, errors: .separate)
        }

        /// Waits for a started script; returns its standard output, or fails with its output and
        /// the server's log.
        static func finish(_ process: ChildProcess, _ script: String, _ server: InteropServer) async throws -> String {
            let exit = await process.exit()
            guard exit.status == 0, !exit.signalled else {
                throw InteropError("""
                \(script) exited \(exit.status)\(exit.signalled ? " (signal)" : "")
                --- output ---
                \(exit.output.suffix(2000))
                --- errors ---
                \(exit.errors.suffix(4000))
                --- broker log ---
                \(server.log.suffix(4000))
                """)
            }
            return exit.output
        }

        @Test func confluentKafkaProducerAndConsumerGroup() async throws {
            let server = try await InteropServer.start()
            let output = try await Self.run("confluent_suite.py", against: server)
            #expect(output.contains("9000 records, each read once"))
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }

        /// kafka-python's admin client, idempotent producer and group; its murmur2 partitioner
        /// must put every key where the broker's own partitioner puts it.
        @Test func kafkaPythonAdminProducerAndGroup() async throws {
            let server = try await InteropServer.start()
            let output = try await Self.run("kafka_python_suite.py", against: server)
            let line = try #require(output.split(separator: "\n").last)
            let decoded = try JSONDecoder().decode([String: [String: Int32]].self, from: Data(line.utf8))
            let placements = try #require(decoded["placements"])
            #expect(placements.count == 500)
            for (key, partition) in placements {
                #expect(Murmur2.partition(forKey: Array(key.utf8), partitionCount: 6).rawValue == partition, "key \(key)")
            }
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }

        /// librdkafka's cooperative-sticky assignor: when one of three consumers leaves, the two
        /// others keep every partition they had (their revoke callbacks name none) and take the
        /// leaver's; nothing is lost or read twice.
        @Test func cooperativeStickyRebalancesOnlyWhatMoves() async throws {
            let server = try await InteropServer.start()
            let output = try await Self.run("cooperative_sticky.py", against: server)
            #expect(output.contains("600 records, each read once; the survivors kept their partitions"), "\(output)")
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }

        /// Static membership with librdkafka (`group.instance.id`): a member restarted within its
        /// session gets its partitions back with no rebalance for the others; a duplicate
        /// instance id fences the older consumer.
        @Test func staticMembersComeBackWithoutARebalanceAndDuplicatesAreFenced() async throws {
            let server = try await InteropServer.start()
            for assignor in ["range", "cooperative-sticky"] {
                let output = try await Self.run("static_members.py", against: server, arguments: [assignor])
                #expect(output.contains("\(assignor): static member back with its partitions, no rebalance; duplicate fenced"), "\(output)")
            }
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }

        /// aiokafka (asyncio): its admin client, an idempotent producer and a group read across
        /// two rebalances, every record counted once after its commit.
        @Test func aiokafkaProducerAndGroupAcrossRebalances() async throws {
            let server = try await InteropServer.start()
            let output = try await Self.run("aiokafka_suite.py", against: server)
            #expect(output.contains("3000 records, each read once; members a, b"), "\(output)")
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }

        /// DeleteRecords, AlterConfigs, IncrementalAlterConfigs, ListGroups with states,
        /// DeleteGroups and OffsetDelete from confluent-kafka's, kafka-python's and aiokafka's
        /// admin clients (each where it has the call), refusals included; then the broker is
        /// killed with SIGKILL and the log starts, settings and deletions are still there.
        @Test func adminOperationsFromThreeClientsSurviveACrash() async throws {
            let server = try await InteropServer.start()
            let clients = ["confluent", "kafka-python", "aiokafka"]
            for client in clients {
                let output = try await Self.run("admin_operations.py", against: server, arguments: [client])
                #expect(output.contains("\(client): "), "\(output)")
                print(output, terminator: "")
            }
            try await server.crashAndRestart()
            for client in clients {
                let output = try await Self.run("admin_operations.py", against: server, arguments: [client, "--after-restart"])
                #expect(output.contains("\(client): 4 checks passed"), "\(output)")
            }
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }

        /// `/metrics` read with Prometheus' own parser says what confluent-kafka says about
        /// watermarks, committed offsets, lag and members.
        @Test func prometheusMetricsAgreeWithTheClients() async throws {
            let server = try await InteropServer.start(["--default-partitions", "3", "--metrics-port", "0"])
            let range = try #require(server.banner.range(of: #"http://127\.0\.0\.1:\d+/metrics"#, options: .regularExpression), "\(server.banner)")
            let output = try await Self.run("prometheus_metrics.py", against: server, arguments: [String(server.banner[range])])
            #expect(output.contains("metrics agree"))
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }

        @Test func malformedOversizedAndAbandonedRequests() async throws {
            let server = try await InteropServer.start(["--default-partitions", "3", "--idle-timeout-ms", "1500"])
            let output = try await Self.run("robustness.py", against: server, arguments: ["1500"])
            #expect(output.contains("robustness passed"))
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }

        /// 100 connections each announce the largest frame allowed and send it slowly: the
        /// broker reads no more than its buffered-request budget, so its memory stays under the
        /// budget plus a fixed allowance (socket reads in flight, the runtime), and it still
        /// answers afterwards.
        @Test func manySlowLargestFramesStayWithinTheRequestMemoryBudget() async throws {
            let frame = 16 << 20
            let budget = 32 << 20
            let server = try await InteropServer.start(["--max-frame-bytes", String(frame), "--max-buffered-request-bytes", String(budget)])
            let output = try await Self.run(
                "memory_flood.py", against: server, arguments: [String(server.pid), String(frame), "100", "12"]
            )
            let numbers = output.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            try #require(numbers.count == 4, "\(output)")
            let (peak, baseline, sent) = (numbers[0], numbers[1], numbers[2])
            #expect(sent > 2 * budget, "the clients sent more than the budget: \(output)")
            #expect(peak - baseline < budget + 48 << 20, "resident memory grew past the budget: \(output)")
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }

        /// An idempotent confluent-kafka producer whose acknowledgement of a stored batch is
        /// lost when the broker is killed with SIGKILL (a proxy in the script swallows it). After
        /// the restart librdkafka retries the batch; the broker recognises it from the producer
        /// state it rebuilt, so every record is stored once.
        @Test func idempotentProducerAcrossABrokerCrash() async throws {
            let control = TemporaryDirectory("restarts")
            defer { control.remove() }
            let script = "idempotent_restarts.py"
            let producer = try Self.start(script, arguments: [control.path, "60000"])
            let announced = await eventually(timeoutMs: 60_000) { producer.output.contains("\n") || !producer.isRunning }
            let proxyPort = try #require(producer.output.split(separator: "\n").first.flatMap { Int($0.dropFirst("proxy ".count)) }, "\(producer.output)")
            #expect(announced)
            let server = try await InteropServer.start(["--default-partitions", "3", "--advertised-port", String(proxyPort)])
            try Data(String(server.port).utf8).write(to: URL(fileURLWithPath: control.file("broker")), options: .atomic)
            let dropped = await eventually(timeoutMs: 120_000) { producer.output.contains("dropped\n") || !producer.isRunning }
            #expect(dropped && producer.isRunning, "\(producer.output.suffix(500))")
            try await server.crashAndRestart()
            try Data().write(to: URL(fileURLWithPath: control.file("restarted")), options: .atomic)
            let output = try await Self.finish(producer, script, server)
            #expect(output.contains("60000 records, each stored once"))
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }

        /// `broker serve` with small segments and short retention deletes segments on its
        /// retention interval while a producer writes: ListOffsets earliest moves, and
        /// `kcat -o beginning` starts there.
        @Test func retentionRunsWhileAProducerWrites() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/kcat"), "kcat is not installed (apt-get install kcat)")
            let server = try await InteropServer.start([
                "--default-partitions", "1", "--segment-bytes", "16384", "--retention-ms", "1500", "--retention-check-ms", "300",
            ])
            let output = try await Self.run("retention_watch.py", against: server, arguments: ["1500", "300"])
            #expect(output.contains("log start moved to"), "\(output)")
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }
    }
}
