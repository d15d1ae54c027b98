import KafkaWire
import NIOCore

/// The per-connection channel handler: cuts frames (size-checked before allocation) and hands
/// them, in arrival order, to the connection's request loop. It does no protocol work.
final class FrameHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private var decoder: FrameDecoder
    private let frames: AsyncStream<[UInt8]>.Continuation

    init(maxFrameBytes: Int, frames: AsyncStream<[UInt8]>.Continuation) {
        decoder = FrameDecoder(maxFrameBytes: maxFrameBytes)
        self.frames = frames
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if let bytes = buffer.readBytes(length: buffer.readableBytes) { decoder.feed(bytes) }
        do {
            while let frame = try decoder.nextFrame() { frames.yield(frame) }
        } catch {
            frames.finish()
            context.close(promise: nil)
        }
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
