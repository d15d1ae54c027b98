import Foundation
import TestSupport
import Testing

extension Interop {
    /// kcat (librdkafka) against `ridestream broker serve`. CI installs kcat (`.ci/run`).
    @Suite struct KcatTests {
        /// Runs kcat with `input` on standard input; returns its standard output.
        static func kcat(_ arguments: [String], input: String? = nil) async throws -> String {
            let exit = try await ChildProcess("/usr/bin/kcat", arguments, input: input, errors: .discarded).exit()
            guard exit.status == 0 else { throw InteropError("kcat \(arguments.joined(separator: " ")) exited \(exit.status)") }
            return exit.output
        }

        @Test func listProduceAndConsumeWithKcat() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/kcat"), "kcat is not installed (apt-get install kcat)")
            let server = try await InteropServer.start()

            let lines = (1 ... 100_000).map { "line-\($0)" }
            _ = try await Self.kcat(["-b", server.bootstrap, "-P", "-t", "rides"], input: lines.joined(separator: "\n") + "\n")
            let listing = try await Self.kcat(["-b", server.bootstrap, "-L", "-t", "rides"])
            #expect(listing.contains("broker 1 at 127.0.0.1:\(server.port)"))
            #expect(listing.contains(#"topic "rides" with 3 partitions"#))

            let consumed = try await Self.kcat(["-b", server.bootstrap, "-C", "-t", "rides", "-e", "-q", "-f", "%p %s\n"])
            var perPartition: [String: [Int]] = [:]
            for row in consumed.split(separator: "\n") {
                let parts = row.split(separator: " ")
                perPartition[String(parts[0]), default: []].append(Int(parts[1].dropFirst(5))!)
            }
            let all = perPartition.values.flatMap { $0 }
            #expect(all.count == lines.count, "every line once")
            #expect(Set(all) == Set(1 ... 100_000))
            for (partition, numbers) in perPartition {
                #expect(numbers == numbers.sorted(), "partition \(partition) keeps the produce order")
            }
            #expect(await server.stop() == 0, "clean shutdown on SIGTERM")
        }

        /// kcat's high-level consumer (`-G`): FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
        /// OffsetFetch, OffsetCommit and LeaveGroup. A second run of the same group reads only
        /// what was produced after the first one committed. Records are keyed so that every
        /// partition has records, and so a committed offset, before the second run (a partition
        /// without one would start at the log end, Kafka's default reset).
        @Test func consumerGroupResumesFromCommittedOffsets() async throws {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/kcat"), "kcat is not installed (apt-get install kcat)")
            let server = try await InteropServer.start()
            let first = (1 ... 3000).map { "a-\($0)" }
            _ = try await Self.kcat(["-b", server.bootstrap, "-P", "-t", "trips", "-K", ":"], input: first.map { "k\($0):\($0)" }.joined(separator: "\n") + "\n")
            let firstRun = try await Self.kcat(["-b", server.bootstrap, "-G", "billing", "trips", "-o", "beginning", "-q", "-e"])
            #expect(Set(firstRun.split(separator: "\n").map(String.init)) == Set(first))
            let second = (1 ... 500).map { "b-\($0)" }
            _ = try await Self.kcat(["-b", server.bootstrap, "-P", "-t", "trips", "-K", ":"], input: second.map { "k\($0):\($0)" }.joined(separator: "\n") + "\n")
            let secondRun = try await Self.kcat(["-b", server.bootstrap, "-G", "billing", "trips", "-q", "-e"])
            #expect(secondRun.split(separator: "\n").map(String.init).sorted() == second.sorted(), "only the new records, each once")
            #expect(await server.stop() == 0)
        }

        /// A second server on a port in use, or on a data directory in use, exits 1 and says why
        /// (the flag to change, or who holds the directory); a failed start leaves no data
        /// directory behind.
        @Test func aPortOrDirectoryInUseFailsClearly() async throws {
            let server = try await InteropServer.start()
            let other = server.dir.path + "-other"
            let portInUse = try await ChildProcess(
                InteropServer.binary, ["broker", "serve", "--data-dir", other, "--port", String(server.port), "--host", "127.0.0.1"]
            ).exit()
            #expect(portInUse.status == 1)
            #expect(portInUse.output.contains("cannot listen on 127.0.0.1:\(server.port): the port is in use"), "\(portInUse.output)")
            #expect(portInUse.output.contains("choose another with --port"), "\(portInUse.output)")
            #expect(!FileManager.default.fileExists(atPath: other), "a failed start leaves no data directory behind")

            let badHost = try await ChildProcess(InteropServer.binary, ["broker", "serve", "--data-dir", other, "--port", "0", "--host", "203.0.113.7"]).exit()
            #expect(badHost.status == 1)
            #expect(badHost.output.contains("203.0.113.7 is not an address of this machine"), "\(badHost.output)")
            #expect(!badHost.output.contains("errno"), "no socket-call internals: \(badHost.output)")
            #expect(!FileManager.default.fileExists(atPath: other))

            let unknownHost = try await ChildProcess(InteropServer.binary, ["broker", "serve", "--data-dir", other, "--port", "0", "--host", "no-such-host.invalid"]).exit()
            #expect(unknownHost.status == 1)
            #expect(unknownHost.output.contains("'no-such-host.invalid' is not a host name or address this machine can resolve; give --host"), "\(unknownHost.output)")
            #expect(!unknownHost.output.contains("SocketAddressError"), "no socket-call internals: \(unknownHost.output)")
            #expect(!FileManager.default.fileExists(atPath: other))

            let held = try await ChildProcess(InteropServer.binary, ["broker", "serve", "--port", "0", "--data-dir", server.dir.path]).exit()
            #expect(held.status == 1)
            #expect(held.output.contains("is in use by `ridestream broker serve"), "\(held.output)")
            #expect(held.output.contains("Kafka port 127.0.0.1:\(server.port)"), "\(held.output)")
            try? FileManager.default.removeItem(atPath: other)
            #expect(await server.stop() == 0)
        }
    }
}
