import CPUTime
import KafkaWire
import LogStore

/// One partition of a fetch.
public struct FetchRequest: Hashable, Sendable {
    public var topicPartition: TopicPartition
    public var offset: Offset
    /// The most bytes for this partition (Kafka `max.partition.fetch.bytes`); at least one
    /// whole batch is returned regardless.
    public var maxBytes: Int

    public init(_ topicPartition: TopicPartition, offset: Offset, maxBytes: Int = 1 << 20) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.maxBytes = maxBytes
    }
}

/// What a fetch returned for one partition.
public struct FetchResult: Sendable {
    public var topicPartition: TopicPartition
    public var error: BrokerError?
    /// Whole RecordBatch v2 batches as stored.
    public var bytes: [UInt8]
    public var logStartOffset: Offset
    public var highWatermark: Offset
}

extension Broker {
    /// Fetches from several partitions, waiting up to `maxWaitMs` for at least `minBytes` in
    /// total (Kafka's long poll). Woken by appends, not by polling; returns early when the
    /// calling task is cancelled. `maxBytes` caps the response as a whole (after the first
    /// partition that has data, like Kafka's `fetch.max.bytes`). The reads' CPU time is
    /// charged to `Stage.fetch` in `stages`, when given.
    public func fetch(
        _ requests: [FetchRequest], maxWaitMs: Int64, minBytes: Int = 1, maxBytes: Int = 50 << 20, stages: StageTimes? = nil
    ) async -> [FetchResult] {
        let readNow = { stages.measure(.fetch) { self.readNow(requests, maxBytes: maxBytes) } }
        var results = readNow()
        let deadline = clock.milliseconds() + maxWaitMs
        while results.reduce(0, { $0 + $1.bytes.count }) < minBytes, !Task.isCancelled {
            let remaining = deadline - clock.milliseconds()
            if remaining <= 0 { break }
            let waiter = AppendWaiter()
            let partitions = requests.compactMap { try? partition($0.topicPartition) }
            for partition in partitions { partition.register(waiter) }
            // Re-read after registering: an append between the first read and the
            // registration must not be missed.
            results = readNow()
            if results.reduce(0, { $0 + $1.bytes.count }) >= minBytes {
                for partition in partitions { partition.unregister(waiter) }
                break
            }
            let timer = Task {
                try? await Task.sleep(for: .milliseconds(remaining))
                waiter.fire()
            }
            await withTaskCancellationHandler {
                await waiter.wait()
            } onCancel: {
                waiter.fire()
            }
            timer.cancel()
            for partition in partitions { partition.unregister(waiter) }
            results = readNow()
        }
        return results
    }

    private func readNow(_ requests: [FetchRequest], maxBytes: Int) -> [FetchResult] {
        var budget = maxBytes
        return requests.map { request in
            do throws(BrokerError) {
                guard budget > 0 else {
                    let bounds = try self.readableBounds(request.topicPartition)
                    return FetchResult(
                        topicPartition: request.topicPartition, error: nil, bytes: [],
                        logStartOffset: bounds.start, highWatermark: bounds.highWatermark
                    )
                }
                let read = try self.read(request.topicPartition, from: request.offset, maxBytes: max(1, min(request.maxBytes, budget)))
                budget -= read.bytes.count
                return FetchResult(
                    topicPartition: request.topicPartition, error: nil, bytes: read.bytes,
                    logStartOffset: read.logStartOffset, highWatermark: read.highWatermark
                )
            } catch {
                let bounds = try? self.readableBounds(request.topicPartition)
                return FetchResult(
                    topicPartition: request.topicPartition, error: error, bytes: [],
                    logStartOffset: bounds?.start ?? Offset(-1), highWatermark: bounds?.highWatermark ?? Offset(-1)
                )
            }
        }
    }
}
