import KafkaWire
import NIOCore

/// The per-connection channel handler: cuts frames (size-checked before allocation) and hands
/// them, in arrival order, to the connection's request loop. It does no protocol work.
///
/// Memory, two limits:
/// - all connections together: a frame's bytes are reserved from the server's
///   `RequestMemoryBudget` as soon as its size prefix arrives and before its body is read;
///   when the budget is spent the connection stops reading until bytes are given back. They
///   are given back when the frame is answered, or when the connection closes;
/// - one connection: a client may pipeline requests faster than they are answered (librdkafka
///   keeps many Produce requests in flight). Once `maxQueuedBytes` of frames wait for the
///   request loop, the handler stops reading until the loop catches up.
/// Either way TCP pushes back on the client.
///
/// Idle connections: when the `IdleStateHandler` in front reports no reads for the idle
/// timeout and no request is in progress, the connection is closed.
///
/// All state is touched on the channel's event loop only.
final class FrameHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    static let maxQueuedBytes = 16 << 20

    private var decoder: FrameDecoder
    private let frames: AsyncStream<[UInt8]>.Continuation
    private let budget: RequestMemoryBudget
    private var context: ChannelHandlerContext?
    /// Bytes of frames handed to the request loop and not yet answered.
    private var queuedBytes = 0
    private var queuedFrames = 0
    /// The budget's bytes this connection holds: its queued frames and the frame it receives.
    private var held = 0
    /// Whether the frame being received has its bytes reserved.
    private var receivingReserved = false
    /// Why reading is paused, if it is.
    private var pausedForQueue = false
    private var waitingForBudget: UInt64?
    private var removed = false

    init(maxFrameBytes: Int, budget: RequestMemoryBudget, frames: AsyncStream<[UInt8]>.Continuation) {
        decoder = FrameDecoder(maxFrameBytes: maxFrameBytes)
        self.budget = budget
        self.frames = frames
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        removed = true
        frames.finish()
        if let waitingForBudget { budget.cancel(waitingForBudget) }
        waitingForBudget = nil
        budget.release(held)
        held = 0
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if let bytes = buffer.readBytes(length: buffer.readableBytes) { decoder.feed(bytes) }
        takeFrames(context)
    }

    /// Hands every complete frame to the request loop, reserving each frame's bytes first;
    /// pauses reading when the budget or the connection's queue is full.
    private func takeFrames(_ context: ChannelHandlerContext) {
        do {
            while let size = try decoder.nextFrameSize() {
                if !receivingReserved {
                    guard reserve(4 + size, context) else { return }
                    receivingReserved = true
                    decoder.prepare(forFrameOf: 4 + size)
                }
                guard let frame = try decoder.nextFrame() else { break }
                receivingReserved = false
                queuedBytes += frame.count
                queuedFrames += 1
                frames.yield(frame)
            }
        } catch {
            frames.finish()
            context.close(promise: nil)
            return
        }
        if queuedBytes >= Self.maxQueuedBytes, !pausedForQueue {
            pausedForQueue = true
            setReading(false, context)
        }
    }

    /// Reserves `bytes`, or stops reading until the budget wakes this connection.
    private func reserve(_ bytes: Int, _ context: ChannelHandlerContext) -> Bool {
        guard waitingForBudget == nil else { return false }
        let loop = context.eventLoop
        switch budget.reserve(bytes, orWake: { loop.execute { self.budgetFreed() } }) {
        case .granted:
            held += bytes
            return true
        case let .waiting(token):
            waitingForBudget = token
            setReading(false, context)
            return false
        }
    }

    /// Others gave bytes back: try again to take the frame this connection waits for.
    private func budgetFreed() {
        guard !removed, waitingForBudget != nil, let context else { return }
        waitingForBudget = nil
        takeFrames(context)
        if waitingForBudget == nil && !pausedForQueue { setReading(true, context) }
    }

    /// Called (on the event loop) by the request loop when it has answered a frame.
    func answered(bytes: Int) {
        guard !removed else { return }
        queuedBytes -= bytes
        queuedFrames -= 1
        held -= 4 + bytes
        budget.release(4 + bytes)
        guard pausedForQueue, queuedBytes < Self.maxQueuedBytes / 2, let context else { return }
        pausedForQueue = false
        if waitingForBudget == nil { setReading(true, context) }
    }

    private func setReading(_ on: Bool, _ context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.autoRead, value: on).whenComplete { _ in }
        if on { context.read() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            // A connection paused for the budget is not idle: it waits for the server.
            if queuedFrames == 0 && waitingForBudget == nil { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        frames.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        frames.finish()
        context.close(promise: nil)
    }
}
