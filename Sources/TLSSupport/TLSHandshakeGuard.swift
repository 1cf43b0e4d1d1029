import NIOCore
import NIOSSL
import NIOTLS

/// Sits after a server connection's `NIOSSLServerHandler` and makes its handshake end one way
/// or the other: a failure is reported once, in plain words (`TLSHandshakeFailure`), and not
/// passed on as an error; a client that does not finish within `timeout` is reported and closed
/// (NIOSSL itself waits forever). After the handshake it passes everything on, but for the
/// ragged close most clients end with (no close_notify), which is not worth a word.
public final class TLSHandshakeGuard: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer

    private enum State {
        case handshaking(Scheduled<Void>?)
        case established
        case over
    }

    private let timeout: TimeAmount
    private let report: (TLSHandshakeFailure) -> Void
    private var state = State.handshaking(nil)

    /// `report` runs on the connection's loop, at most once per connection.
    public init(timeout: TimeAmount, report: @escaping (TLSHandshakeFailure) -> Void) {
        self.timeout = timeout
        self.report = report
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        guard case .handshaking(nil) = state else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        state = .handshaking(context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            handler.fail(.timeout(after: handler.timeout), context: context)
        })
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event, case .handshaking = state {
            cancelTimer()
            state = .established
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .handshaking:
            let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
            fail(TLSHandshakeFailure(error, clientCertificate: certificate), context: context)
        case .established:
            if case NIOSSLError.uncleanShutdown = error { return }
            context.fireErrorCaught(error)
        case .over:
            return
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        // A client that leaves before sending a byte of TLS (a port probe) is no failure.
        cancelTimer()
        if case .handshaking = state { state = .over }
        context.fireChannelInactive()
    }

    private func fail(_ failure: TLSHandshakeFailure, context: ChannelHandlerContext) {
        guard case .handshaking = state else { return }
        cancelTimer()
        state = .over
        report(failure)
        context.close(promise: nil)
    }

    private func cancelTimer() {
        if case let .handshaking(timer?) = state {
            timer.cancel()
            state = .handshaking(nil)
        }
    }
}

@available(*, unavailable)
extension TLSHandshakeGuard: Sendable {}
