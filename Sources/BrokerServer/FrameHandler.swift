import KafkaWire
import NIOCore

/// The per-connection channel handler: cuts frames (size-checked before allocation) and hands
/// them, in arrival order, to the connection's request loop. It does no protocol work.
///
/// Flow control: a client may pipeline requests faster than they are answered (librdkafka
/// keeps many Produce requests in flight). Once `maxQueuedBytes` of frames wait for the
/// request loop, the handler stops reading the socket until the loop catches up, so a fast
/// client costs bounded memory and TCP pushes back on it.
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
    private var context: ChannelHandlerContext?
    private var queuedBytes = 0
    private var queuedFrames = 0
    private var paused = false

    init(maxFrameBytes: Int, frames: AsyncStream<[UInt8]>.Continuation) {
        decoder = FrameDecoder(maxFrameBytes: maxFrameBytes)
        self.frames = frames
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        frames.finish()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if let bytes = buffer.readBytes(length: buffer.readableBytes) { decoder.feed(bytes) }
        do {
            while let frame = try decoder.nextFrame() {
                queuedBytes += frame.count
                queuedFrames += 1
                frames.yield(frame)
            }
        } catch {
            frames.finish()
            context.close(promise: nil)
            return
        }
        if queuedBytes >= Self.maxQueuedBytes, !paused {
            paused = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
    }

    /// Called (on the event loop) by the request loop when it has answered a frame.
    func answered(bytes: Int) {
        queuedBytes -= bytes
        queuedFrames -= 1
        guard paused, queuedBytes < Self.maxQueuedBytes / 2, let context else { return }
        paused = false
        context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            if queuedFrames == 0 { context.close(promise: nil) }
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
