import CPUTime
import Foundation
import Synchronization
import KafkaWire
import LogStore

/// The producer's I/O thread, like the sender thread of Kafka's producer: it finishes closed
/// batches (header and CRC-32C), appends them to the broker in the order they were queued,
/// and reports delivery, while the calling task goes on batching records.
///
/// The queue is bounded by bytes (`maxQueuedBytes`, Kafka's `buffer.memory`), without ever
/// blocking the caller's thread: `enqueue` always takes the batch and says whether the queue
/// is now full; a full producer then suspends in `waitForRoom()` until the thread has stored
/// enough. A single thread keeps each partition's batches in order.
///
/// Once a batch to a partition fails, no later batch goes to that partition (each is reported
/// failed with the first error): a partition's records are stored as a prefix of what was sent
/// to it, never with a lost batch in the middle. `failure` keeps the first error for good.
@usableFromInline final class BatchSender: @unchecked Sendable {
    struct Job {
        var partition: TopicPartition
        var builder: RecordBatchBuilder
    }

    private let broker: Broker
    private let maxQueuedBytes: Int
    private let onDelivery: (@Sendable (DeliveryReport) -> Void)?
    private let stages: StageTimes?
    private let condition = Condition()
    /// Jobs in order; a taken slot is set to nil at once so its bytes are freed.
    private var queue: [Job?] = []
    private var head = 0
    private var queuedBytes = 0
    private var busy = false
    private var stopping = false
    private var firstError: BrokerError?
    /// The first error of the sender's life, never cleared (`drain` clears `firstError`).
    private var firstFailure: BrokerError?
    /// Set with `firstFailure`, read on the producer's hot path without the lock.
    private let failed = Atomic<Bool>(false)
    /// Partitions a batch failed to, with that error; touched by the sender thread only.
    private var failedPartitions: [TopicPartition: BrokerError] = [:]
    /// Producers suspended until the queue is below `maxQueuedBytes`.
    private var roomWaiters: [CheckedContinuation<Void, Never>] = []
    /// Callers of `drain()` suspended until the queue is empty and nothing is being stored.
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []

    init(broker: Broker, maxQueuedBytes: Int, onDelivery: (@Sendable (DeliveryReport) -> Void)?, stages: StageTimes? = nil) {
        self.broker = broker
        self.stages = stages
        self.maxQueuedBytes = maxQueuedBytes
        self.onDelivery = onDelivery
        // The thread holds the sender strongly until `run` returns after `stop()`.
        let thread = Thread { self.run() }
        thread.name = "ridestream-producer-sender"
        thread.start()
    }

    /// Queues a closed batch. Returns false when the queue now holds `maxQueuedBytes` or more:
    /// the caller should `await waitForRoom()` before queuing more.
    @discardableResult
    func enqueue(_ job: Job) -> Bool {
        condition.withLock {
            queue.append(job)
            queuedBytes += job.builder.sizeInBytes
            condition.broadcast()
            return queuedBytes < maxQueuedBytes || stopping
        }
    }

    /// Suspends until the queue is below `maxQueuedBytes` (at once when it is).
    @usableFromInline func waitForRoom() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready: Bool = condition.withLock {
                if queuedBytes < maxQueuedBytes || stopping { return true }
                roomWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Waits until every queued batch is stored; returns the first error since the last drain.
    func drain() async -> BrokerError? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done: Bool = condition.withLock {
                if head == queue.count && !busy { return true }
                drainWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        return condition.withLock {
            defer { firstError = nil }
            return firstError
        }
    }

    /// The first batch that failed in this sender's life, if any (cheap when none did).
    var failure: BrokerError? {
        guard failed.load(ordering: .acquiring) else { return nil }
        return condition.withLock { firstFailure }
    }

    /// Drains, then ends the thread.
    func stop() async -> BrokerError? {
        let error = await drain()
        stopThread()
        return error
    }

    /// Ends the thread once the queue is empty, without waiting (a producer released without
    /// being closed).
    func stopThread() {
        let waiting: [CheckedContinuation<Void, Never>] = condition.withLock {
            stopping = true
            condition.broadcast()
            defer { roomWaiters = [] }
            return roomWaiters
        }
        for waiter in waiting { waiter.resume() }
    }

    private func run() {
        while true {
            let job: Job? = condition.withLock {
                while head == queue.count && !stopping { condition.wait() }
                guard head < queue.count else { return nil }
                let job = queue[head]
                queue[head] = nil
                head += 1
                if head > 64 && head * 2 > queue.count {
                    queue.removeFirst(head)
                    head = 0
                }
                busy = true
                return job
            }
            guard let job else { return }
            let report = stages.measure(.append) { send(job) }
            onDelivery?(report)
            let (room, drained) = condition.withLock { () -> ([CheckedContinuation<Void, Never>], [CheckedContinuation<Void, Never>]) in
                busy = false
                queuedBytes -= job.builder.sizeInBytes
                if let error = report.error {
                    if firstError == nil { firstError = error }
                    if firstFailure == nil {
                        firstFailure = error
                        failed.store(true, ordering: .releasing)
                    }
                }
                var room: [CheckedContinuation<Void, Never>] = []
                if queuedBytes < maxQueuedBytes {
                    room = roomWaiters
                    roomWaiters = []
                }
                var drained: [CheckedContinuation<Void, Never>] = []
                if head == queue.count {
                    drained = drainWaiters
                    drainWaiters = []
                }
                return (room, drained)
            }
            for waiter in room { waiter.resume() }
            for waiter in drained { waiter.resume() }
        }
    }

    private func send(_ job: Job) -> DeliveryReport {
        let count = Int(job.builder.recordCount)
        if let earlier = failedPartitions[job.partition] {
            let error = BrokerError(earlier.code, "not sent: an earlier batch to \(job.partition) failed: \(earlier.message)", cause: earlier.cause)
            return DeliveryReport(topicPartition: job.partition, baseOffset: nil, recordCount: count, error: error)
        }
        do {
            let result = try broker.appendBuilt(job.builder.build(), to: job.partition)
            return DeliveryReport(topicPartition: job.partition, baseOffset: result.baseOffset, recordCount: count, error: nil)
        } catch {
            failedPartitions[job.partition] = error
            return DeliveryReport(topicPartition: job.partition, baseOffset: nil, recordCount: count, error: error)
        }
    }
}
