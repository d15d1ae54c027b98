import Foundation
import Glibc

/// A program run by a test. Its output is gathered by a thread of its own and its exit is
/// awaited without holding a thread of the concurrency pool.
///
/// Tests run in parallel on a pool of as many threads as there are cores (two on a small CI
/// machine). `Process.waitUntilExit()` or `readDataToEndOfFile()` holds one of them for as long
/// as the child runs; two such waits starve every other test's polling, and a kill meant to land
/// mid-run lands after the run has ended. Output is read as it comes, so a chatty child never
/// blocks on a full pipe either.
public final class ChildProcess: @unchecked Sendable {
    /// How a child ended.
    public struct Exit: Sendable {
        /// The exit status, or the signal's number when `signalled`.
        public let status: Int32
        /// True when a signal ended the child (SIGKILL, an uncaught SIGTERM, a crash).
        public let signalled: Bool
        /// Standard output, interleaved with standard error when that is `.merged`.
        public let output: String
        /// Standard error when it is `.separate`.
        public let errors: String
    }

    /// Where the child's standard error goes.
    public enum Errors: Sendable { case merged, separate, discarded }

    public let process = Process()
    private let lock = NSLock()
    private var gathered = Data()
    private var gatheredErrors = Data()
    private let finished = DispatchGroup()

    /// Starts `executable` with `arguments`, and `environment` added to this process's;
    /// `input`, if any, is written to its standard input, which is then closed.
    public init(
        _ executable: String, _ arguments: [String], input: String? = nil, errors: Errors = .merged, environment: [String: String] = [:],
        in directory: String? = nil
    ) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let output = Pipe()
        let errorOutput = Pipe()
        process.standardOutput = output
        switch errors {
        case .merged: process.standardError = output
        case .separate: process.standardError = errorOutput
        case .discarded: process.standardError = FileHandle.nullDevice
        }
        let stdin = Pipe()
        process.standardInput = stdin
        Glibc.signal(SIGPIPE, SIG_IGN)
        finished.enter()
        process.terminationHandler = { [finished] _ in finished.leave() }
        do { try process.run() } catch {
            finished.leave()
            throw error
        }
        gather(output.fileHandleForReading) { $0.gathered.append($1) }
        if errors == .separate { gather(errorOutput.fileHandleForReading) { $0.gatheredErrors.append($1) } }
        if let input {
            Thread.detachNewThread {
                try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
                try? stdin.fileHandleForWriting.close()
            }
        } else {
            try? stdin.fileHandleForWriting.close()
        }
    }

    /// Reads `handle` to its end on a thread of its own, handing each piece to `append`.
    private func gather(_ handle: FileHandle, _ append: @escaping @Sendable (ChildProcess, Data) -> Void) {
        finished.enter()
        Thread.detachNewThread { [self] in
            while case let data = handle.availableData, !data.isEmpty {
                lock.withLock { append(self, data) }
            }
            finished.leave()
        }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// The output so far.
    public var output: String { lock.withLock { String(decoding: gathered, as: UTF8.self) } }

    /// Standard error so far, when it is `.separate`.
    public var errorOutput: String { lock.withLock { String(decoding: gatheredErrors, as: UTF8.self) } }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the child to end and its output to close.
    public func exit() async -> Exit {
        await withCheckedContinuation { continuation in
            finished.notify(queue: .global()) { continuation.resume() }
        }
        let errors = lock.withLock { String(decoding: gatheredErrors, as: UTF8.self) }
        return Exit(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal, output: output, errors: errors)
    }

    /// Waits for the child to end, killing it (SIGKILL) if it is still running after
    /// `timeoutMs`: a test that expects a quick refusal must not hang when it does not get one.
    public func exit(killingAfterMs timeoutMs: Int) async -> Exit {
        Task { _ = await signal(SIGKILL, when: { false }, timeoutMs: timeoutMs) }
        return await exit()
    }

    /// Sends signal `number` as soon as `condition` holds, polled every few milliseconds by a
    /// thread of its own so that a busy pool cannot delay it. Returns false if the child ended
    /// first, or if `timeoutMs` passed, in which case the child is killed (SIGKILL) so the
    /// failing test does not wait for it.
    public func signal(_ number: Int32, when condition: @escaping @Sendable () -> Bool, timeoutMs: Int = 120_000) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
                while isRunning, Date() < deadline {
                    if condition() {
                        signal(number)
                        return continuation.resume(returning: true)
                    }
                    usleep(5_000)
                }
                if isRunning { signal(SIGKILL) }
                continuation.resume(returning: false)
            }
        }
    }
}
