import NIOCore
import Synchronization

/// The open client connections and their request loops, so that shutdown can close them and
/// wait for the loops to finish before the event loops stop (no request is then left halfway
/// through a response).
final class ConnectionRegistry: Sendable {
    private struct Connection {
        var channel: any Channel
        var loop: Task<Void, Never>
    }

    private let connections = Mutex<[ObjectIdentifier: Connection]>([:])

    func add(_ channel: any Channel, loop: Task<Void, Never>) {
        connections.withLock { $0[ObjectIdentifier(channel)] = Connection(channel: channel, loop: loop) }
    }

    func remove(_ channel: any Channel) {
        _ = connections.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { connections.withLock { $0.count } }

    /// Closes every connection, cancels its request loop and waits for the loops to end, at
    /// most `timeout` (a loop stuck in a request that ignores cancellation is left behind).
    func closeAll(timeout: Duration = .seconds(5)) async {
        let open = connections.withLock { Array($0.values) }
        for connection in open {
            connection.channel.close(promise: nil)
            connection.loop.cancel()
        }
        // Each loop removes itself from the registry when it ends.
        let deadline = ContinuousClock.now + timeout
        while !connections.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
