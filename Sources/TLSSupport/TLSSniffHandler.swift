import NIOCore

/// Looks at a server connection's first bytes once, to tell a TLS client from a plaintext one
/// before anything else reads them, then gets out of the way.
///
///     16 03 0x …   a TLS handshake record (ClientHello)
///     anything else: plaintext (Thrift starts 80 01, 82 x1 or a frame length; HTTP a method)
///
/// When the bytes are what the endpoint expects, `matched` runs (a TLS endpoint adds its
/// `NIOSSLServerHandler` after this handler there), the bytes go on down the pipeline and this
/// handler leaves it. Otherwise `mismatched` runs (to report the mismatch and close) and
/// nothing passes. Without this, BoringSSL would see a plaintext client as WRONG_VERSION_NUMBER,
/// and a plaintext Thrift listener would call a ClientHello "not Thrift" or a frame too large,
/// never naming TLS as the likely cause.
public final class TLSSniffHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private let expectingTLS: Bool
    private let matched: (ChannelHandlerContext) throws -> Void
    private let mismatched: (ChannelHandlerContext) -> Void
    private var decided = false

    public init(expectingTLS: Bool, matched: @escaping (ChannelHandlerContext) throws -> Void = { _ in },
                mismatched: @escaping (ChannelHandlerContext) -> Void) {
        self.expectingTLS = expectingTLS
        self.matched = matched
        self.mismatched = mismatched
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Only reads that race a mismatch's close come here after the decision: dropped.
        guard !decided else { return }
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        decided = true
        let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self)
        guard TLSRecordSniff.isTLSHandshake(first, second) == expectingTLS else {
            mismatched(context)
            return
        }
        do {
            try matched(context)
        } catch {
            context.fireErrorCaught(error)
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

@available(*, unavailable)
extension TLSSniffHandler: Sendable {}
