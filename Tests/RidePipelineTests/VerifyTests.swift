import Foundation
import RidePipeline
import TestSupport
import Testing

/// `ridestream verify` and the inspection commands against real damage in real files: each
/// problem is named, nothing is written, and a damaged database is never resumed into.
@Suite(.serialized) struct VerifyTests {
    static var binary: String { CrashResumeTests.binary }

    static func ridestream(_ arguments: [String]) async throws -> ChildProcess.Exit {
        try await ChildProcess(binary, arguments).exit()
    }

    /// A short finished run in `dir/data`.
    static func run(_ dir: TemporaryDirectory) async throws -> String {
        let data = dir.file("data")
        let exit = try await ridestream(["simulate", "--config", CrashResumeTests.writeConfig(dir), "--duration", "200", "--data-dir", data])
        try #require(exit.status == 0, "\(exit.output)")
        return data
    }

    /// Every file under `path` (but the lock) with its bytes.
    static func snapshot(_ path: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            guard !name.hasSuffix(".lock"), FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            files[name] = try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))
        }
        return files
    }

    static func sqlite(_ path: String, _ sql: String) async throws {
        let exit = try await ChildProcess("/usr/bin/sqlite3", [path, sql]).exit()
        try #require(exit.status == 0, "sqlite3 \(sql): \(exit.output)")
    }

    @Test func aCleanRunVerifiesAndAFlippedByteIsNamedWithoutWritingAnything() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary))
        let dir = TemporaryDirectory("verify")
        defer { dir.remove() }
        let data = try await Self.run(dir)
        let clean = try await Self.ridestream(["verify", "--data-dir", data])
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("verified: no problems"))
        #expect(clean.output.contains("ok       analytics.sqlite: integrity_check ok"))

        let segment = data + "/broker/topics/driver-locations/2/00000000000000000000.log"
        FileDamage.flipByte(segment, at: FileDamage.size(segment) / 2)
        let before = try Self.snapshot(data)
        let damaged = try await Self.ridestream(["verify", "--data-dir", data])
        #expect(damaged.status == 1)
        #expect(damaged.output.contains("PROBLEM  partition driver-locations-2: \(segment): batch at byte"), "\(damaged.output)")
        #expect(damaged.output.contains("fails its check"), "\(damaged.output)")
        #expect(damaged.output.contains("1 problem found"))
        let described = try await Self.ridestream(["topics", "describe", "--data-dir", data])
        #expect(described.status == 0, "\(described.output)")
        #expect(try Self.snapshot(data) == before, "verify and topics describe changed a file")
        // The run cannot be resumed over it: the damaged batch is never handed out.
        let resumed = try await Self.ridestream(["simulate", "--config", CrashResumeTests.writeConfig(dir), "--data-dir", data, "--resume"])
        #expect(resumed.status == 1, "\(resumed.output)")
        #expect(resumed.output.contains("fails its check"), "\(resumed.output)")
    }

    /// An index missing a row (made with the sqlite3 CLI: the index hidden behind a `WHERE 0`
    /// while a row is deleted) passes `quick_check`; `verify` and a resume both find it.
    @Test func aDatabaseWithAnIndexMissingARowIsNamedAndNeverResumedInto() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary))
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "apt-get install sqlite3")
        let dir = TemporaryDirectory("verify-index")
        defer { dir.remove() }
        let data = try await Self.run(dir)
        let analytics = data + "/analytics.sqlite"
        let index = #"CREATE INDEX batches_consumer ON batches (consumer, "partition")"#
        try await Self.sqlite(analytics, "PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql='\(index) WHERE 0' WHERE name='batches_consumer';")
        try await Self.sqlite(analytics, "DELETE FROM batches WHERE rowid = (SELECT min(rowid) FROM batches);")
        try await Self.sqlite(analytics, "PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql='\(index)' WHERE name='batches_consumer';")
        let before = try Self.snapshot(data)

        let verified = try await Self.ridestream(["verify", "--data-dir", data])
        #expect(verified.status == 1)
        #expect(verified.output.contains("PROBLEM  analytics.sqlite: integrity_check: wrong # of entries in index batches_consumer"), "\(verified.output)")
        let resumed = try await Self.ridestream(["simulate", "--config", CrashResumeTests.writeConfig(dir), "--duration", "400", "--data-dir", data, "--resume"])
        #expect(resumed.status == 1, "\(resumed.output)")
        #expect(resumed.output.contains("the analytics database is damaged"), "\(resumed.output)")
        let after = try Self.snapshot(data)
        #expect(after["analytics.sqlite"] == before["analytics.sqlite"], "changed: \(Set(after.keys).union(before.keys).filter { after[$0] != before[$0] }.sorted())")
    }

    /// A crash leaves a torn tail: inspection reports it and leaves it for the next run.
    @Test func inspectionOfACrashedDirectoryWritesNothing() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary))
        let dir = TemporaryDirectory("verify-crash")
        defer { dir.remove() }
        let data = try await Self.run(dir)
        let partition = data + "/broker/topics/driver-locations/0"
        try FileManager.default.removeItem(atPath: partition + "/.clean-shutdown")
        FileDamage.append(partition + "/00000000000000000000.log", [UInt8](repeating: 7, count: 100))
        let before = try Self.snapshot(data)
        let described = try await Self.ridestream(["topics", "describe", "--data-dir", data])
        #expect(described.status == 0, "\(described.output)")
        #expect(described.output.contains("torn tail: 0 records in 100 bytes, cut by the next run"), "\(described.output)")
        for command in [["topics", "list"], ["groups", "list"], ["report"], ["verify"]] {
            let exit = try await Self.ridestream(command + ["--data-dir", data])
            #expect(exit.status == 0, "\(command): \(exit.output)")
        }
        let after = try Self.snapshot(data)
        #expect(after == before, "an inspection changed \(Set(after.keys).union(before.keys).filter { after[$0] != before[$0] }.sorted())")
    }
}
