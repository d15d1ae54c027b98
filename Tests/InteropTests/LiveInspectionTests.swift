import Foundation
import TestSupport
import Testing

extension Interop {
    /// `topics` and `groups` while a broker runs: on a directory `simulate --serve` holds
    /// (through its Kafka port), and with `--bootstrap` on a three-broker cluster (librdkafka's
    /// mock) whose leaders and group coordinator are spread over its brokers.
    @Suite struct LiveInspectionTests {
        static func ridestream(_ arguments: [String]) async throws -> ChildProcess.Exit {
            try await ChildProcess(InteropServer.binary, arguments, errors: .separate).exit()
        }

        static func json(_ text: String) throws -> [[String: Any]] {
            try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "not a JSON array: \(text)")
        }

        @Test func groupsAndTopicsOfARunningSimulation() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: InteropServer.binary))
            let dir = TemporaryDirectory("live-inspect")
            defer { dir.remove() }
            let arguments = ["simulate", "--serve", "--realtime", "--port", "0", "--data-dir", dir.path, "--drivers", "60", "--duration", "600"]
            let run = try ChildProcess(InteropServer.binary, arguments, errors: .discarded)
            defer { run.signal(SIGKILL) }
            let pattern = #"Kafka protocol on 127\.0\.0\.1:(\d+)\D"#
            _ = await eventually(timeoutMs: 60_000) { run.output.range(of: pattern, options: .regularExpression) != nil || !run.isRunning }
            let range = try #require(run.output.range(of: pattern, options: .regularExpression), "no port in: \(run.output)")
            let bootstrap = "127.0.0.1:" + run.output[range].dropLast().split(separator: ":").last!
            // The groups are formed once each consumer has its partitions.
            var described: [[String: Any]] = []
            _ = await eventually(timeoutMs: 60_000) {
                guard let exit = try? await Self.ridestream(["groups", "describe", "--format", "json", "--data-dir", dir.path]),
                      exit.status == 0, let groups = try? Self.json(exit.output) else { return false }
                described = groups
                return groups.allSatisfy { $0["state"] as? String == "Stable" } && groups.count == 3
            }
            #expect(described.compactMap { $0["group"] as? String } == ["analytics", "fare", "support"], "\(described)")
            let fare = try #require(described.first { $0["group"] as? String == "fare" })
            let members = try #require(fare["members"] as? [[String: Any]])
            #expect(members.count == 2 && members.allSatisfy { ($0["client_id"] as? String)?.hasPrefix("fare-") == true }, "\(members)")
            let offsets = try #require(fare["offsets"] as? [[String: Any]])
            #expect(offsets.count == 6 && offsets.allSatisfy { ($0["consumer_id"] as? String)?.hasPrefix("fare-") == true }, "\(offsets)")
            #expect(fare["assignment_strategy"] as? String == "range")

            let text = try await Self.ridestream(["groups", "describe", "support", "--data-dir", dir.path])
            #expect(text.status == 0, "\(text.errors)")
            #expect(text.errors.contains("asking its Kafka port \(bootstrap)"), "\(text.errors)")
            #expect(text.output.hasPrefix("GROUP    TOPIC             PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  CONSUMER-ID"), "\(text.output)")
            let members1 = try await Self.ridestream(["groups", "describe", "--members", "fare", "--bootstrap", bootstrap])
            #expect(members1.output.split(separator: "\n").count == 3 && members1.output.contains("#PARTITIONS"), "\(members1.output)")
            let topics = try Self.json(try await Self.ridestream(["topics", "describe", "--format", "json", "--bootstrap", bootstrap]).output)
            #expect(topics.map { $0["name"] as? String } == ["driver-locations"])
            #expect((topics.first?["partitions"] as? [Any])?.count == 6)
            // A live group's offsets are its members' to move: refused, as Kafka's tool refuses.
            let reset = try await Self.ridestream(["groups", "reset-offsets", "--group", "fare", "--all-topics", "--to-earliest", "--execute", "--data-dir", dir.path])
            #expect(reset.status == 1 && reset.errors.contains("Assignments can only be reset if the group 'fare' is inactive, but the current state is Stable (2 members)"), "\(reset.errors)")
            let delete = try await Self.ridestream(["groups", "delete", "fare", "--bootstrap", bootstrap])
            #expect(delete.status == 1 && delete.errors.contains("NON_EMPTY_GROUP"), "\(delete.errors)")
            let missing = try await Self.ridestream(["groups", "describe", "nosuch", "--data-dir", dir.path])
            #expect(missing.status == 1 && missing.errors.contains("Consumer group 'nosuch' does not exist"), "\(missing.errors)")
            #expect(run.isRunning, "inspection did not disturb the run: \(run.output.suffix(1000))")
        }

        @Test func topicsAndGroupsOfAThreeBrokerCluster() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: InteropServer.binary))
            let cluster = try Interop.PythonClientTests.start("mock_cluster_inspect.py", arguments: [])
            defer { cluster.signal(SIGTERM) }
            _ = await eventually(timeoutMs: 60_000) { cluster.output.contains("\n") || !cluster.isRunning }
            let line = try #require(cluster.output.split(separator: "\n").first, "the mock cluster printed nothing")
            let facts = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let servers = try #require(facts["bootstrap"] as? String).split(separator: ",").map(String.init)
            let count = try #require(facts["partitions"] as? Int)
            let topic = try #require(facts["topic"] as? String)
            #expect(Set((facts["leaders"] as? [String: Int] ?? [:]).values).count > 1, "leaders on several brokers: \(facts)")
            // Any one broker will do: the rest is learned from its metadata.
            let topics = try Self.json(try await Self.ridestream(["topics", "describe", topic, "--format", "json", "--bootstrap", servers[2]]).output)
            let partitions = try #require(topics.first?["partitions"] as? [[String: Any]])
            #expect(partitions.count == count)
            #expect(partitions.allSatisfy { $0["log_start_offset"] as? Int == 0 && $0["log_end_offset"] as? Int == 100 }, "\(partitions)")
            let groups = try Self.json(try await Self.ridestream(["groups", "describe", "billing", "--format", "json", "--bootstrap", servers[0]]).output)
            let offsets = try #require(groups.first?["offsets"] as? [[String: Any]])
            let committed = try #require(facts["committed"] as? [String: Int])
            #expect(offsets.count == count)
            for row in offsets {
                let partition = try #require(row["partition"] as? Int)
                #expect(row["current_offset"] as? Int == committed["\(partition)"] && row["lag"] as? Int == 100 - (committed["\(partition)"] ?? 0), "\(row)")
            }
            // Reset through the coordinator, wherever it is: OffsetCommit without membership.
            let reset = try await Self.ridestream(["groups", "reset-offsets", "--group", "billing", "--topic", topic, "--shift-by", "-30", "--execute", "--bootstrap", servers[1]])
            #expect(reset.status == 0, "\(reset.output)\(reset.errors)")
            let after = try Self.json(try await Self.ridestream(["groups", "describe", "billing", "--format", "json", "--bootstrap", servers[2]]).output)
            let moved = (after.first?["offsets"] as? [[String: Any]] ?? []).compactMap { row in (row["partition"] as? Int).map { ($0, row["current_offset"] as? Int) } }
            #expect(moved.count == count && moved.allSatisfy { $0.1 == (committed["\($0.0)"] ?? 0) - 30 }, "\(moved)")
        }
    
        /// A broker that drips its answers, claims absurd offsets, has a partition without a
        /// leader or names a topic with terminal escapes: the command ends with a clear error
        /// or shows what it can, and never traps, hangs or writes the escape to the terminal.
        @Test func aHostileBrokerNeverHangsOrCrashesTheInspection() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: InteropServer.binary))
            func against(_ scenario: String, _ arguments: [String]) async throws -> ChildProcess.Exit {
                let broker = try Interop.PythonClientTests.start("hostile_broker.py", arguments: [scenario])
                defer { broker.signal(SIGKILL) }
                _ = await eventually(timeoutMs: 30_000) { broker.output.contains("\n") || !broker.isRunning }
                let port = try #require(Int(broker.output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(broker.output)")
                let process = try ChildProcess(InteropServer.binary, arguments + ["--bootstrap", "127.0.0.1:\(port)"], errors: .separate)
                return await process.exit(killingAfterMs: 60_000)
            }
            let dripped = try await against("drip", ["topics", "--timeout-ms", "1500"])
            #expect(dripped.status == 1 && !dripped.signalled, "ended by itself: \(dripped.errors)")
            #expect(dripped.errors.contains("no complete answer within 1500 ms"), "\(dripped.errors)")
            let overflow = try await against("overflow", ["topics", "list", "--format", "json"])
            #expect(overflow.status == 0 && overflow.output.contains("9223372036854775807"), "no trap: \(overflow.output)\(overflow.errors)")
            let leaderless = try await against("leaderless", ["topics", "describe", "rides", "--format", "json"])
            #expect(leaderless.status == 0, "\(leaderless.errors)")
            let partitions = try #require(try Self.json(leaderless.output).first?["partitions"] as? [[String: Any]])
            #expect(partitions.map { $0["log_end_offset"] as? Int } == [100, -1], "the leaderless partition has no answer: \(partitions)")
            let escapes = try await against("escapes", ["topics", "describe"])
            #expect(escapes.status == 0 && !escapes.output.contains("\u{1b}"), "\(escapes.output.debugDescription)")
            #expect(escapes.output.contains("rides\\u{1b}]0;owned\\u{7}"), "\(escapes.output.debugDescription)")
            let unknown = try await against("overflow", ["topics", "describe", "drivr-locations"])
            #expect(unknown.status == 1 && unknown.errors.contains("topic 'drivr-locations' does not exist"), "\(unknown.errors)")
        }
    }
}
