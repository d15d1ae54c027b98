import Foundation
import KafkaWire
import LogStore

/// The producer's I/O thread, like the sender thread of Kafka's producer: it finishes closed
/// batches (header and CRC-32C), appends them to the broker in the order they were queued,
/// and reports delivery, while the calling thread goes on batching records.
///
/// The queue is bounded by bytes (`maxQueuedBytes`, Kafka's `buffer.memory`): `enqueue`
/// blocks while it is full. A single thread keeps each partition's batches in order.
final class BatchSender: @unchecked Sendable {
    struct Job {
        var partition: TopicPartition
        var builder: RecordBatchBuilder
    }

    private let broker: Broker
    private let maxQueuedBytes: Int
    private let onDelivery: (@Sendable (DeliveryReport) -> Void)?
    private let condition = Condition()
    /// Jobs in order; a taken slot is set to nil at once so its bytes are freed.
    private var queue: [Job?] = []
    private var head = 0
    private var queuedBytes = 0
    private var busy = false
    private var stopping = false
    private var firstError: BrokerError?
    private var thread: Thread?

    init(broker: Broker, maxQueuedBytes: Int, onDelivery: (@Sendable (DeliveryReport) -> Void)?) {
        self.broker = broker
        self.maxQueuedBytes = maxQueuedBytes
        self.onDelivery = onDelivery
        // The thread holds the sender strongly until `run` returns after `stop()`.
        let thread = Thread { self.run() }
        thread.name = "ridestream-producer-sender"
        self.thread = thread
        thread.start()
    }

    /// Queues a closed batch, waiting while the queue holds `maxQueuedBytes` or more.
    func enqueue(_ job: Job) {
        condition.withLock {
            while queuedBytes >= maxQueuedBytes && !stopping { condition.wait() }
            queue.append(job)
            queuedBytes += job.builder.sizeInBytes
            condition.broadcast()
        }
    }

    /// Waits until every queued batch is stored; returns the first error since the last drain.
    func drain() -> BrokerError? {
        condition.withLock {
            while head < queue.count || busy { condition.wait() }
            defer { firstError = nil }
            return firstError
        }
    }

    /// Drains, then ends the thread.
    func stop() -> BrokerError? {
        let error = drain()
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
        return error
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
            let report = send(job)
            onDelivery?(report)
            condition.withLock {
                busy = false
                queuedBytes -= job.builder.sizeInBytes
                if let error = report.error, firstError == nil { firstError = error }
                condition.broadcast()
            }
        }
    }

    private func send(_ job: Job) -> DeliveryReport {
        let count = Int(job.builder.recordCount)
        do {
            let result = try broker.appendBuilt(job.builder.build(), to: job.partition)
            return DeliveryReport(topicPartition: job.partition, baseOffset: result.baseOffset, recordCount: count, error: nil)
        } catch {
            return DeliveryReport(topicPartition: job.partition, baseOffset: nil, recordCount: count, error: error)
        }
    }
}
