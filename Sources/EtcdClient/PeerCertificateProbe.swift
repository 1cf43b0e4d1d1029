import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import TLSSupport

/// The certificate an endpoint shows in a TLS handshake that checks nothing: what explains a
/// failed verification (expired, not yet valid, unknown CA, another name), which BoringSSL
/// reports with one reason for all of them. Made only after a failure, never for a request.
enum PeerCertificateProbe {
    /// nil when nothing answered TLS within `timeout` (or the context could not be made).
    /// `tls` lends its client certificate, so that an etcd that wants one still shows its own.
    static func fetch(_ endpoint: EtcdEndpoint, tls: TLSConfiguration, group: any EventLoopGroup, timeout: TimeAmount) async -> NIOSSLCertificate? {
        var configuration = tls
        configuration.certificateVerification = .none
        // Nothing is verified, so no trust store is read from disk either.
        configuration.trustRoots = .certificates([])
        // The context reads nothing from disk now, but it is still work a loop should not do.
        guard let context = try? await NIOThreadPool.singleton.runIfActive({ [configuration] in try NIOSSLContext(configuration: configuration) }) else {
            return nil
        }
        let serverName = IPAddressText.isIPAddress(endpoint.host) ? nil : endpoint.host
        let loop = group.next()
        let seen = loop.makePromise(of: NIOSSLCertificate?.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
                    try channel.pipeline.syncOperations.addHandler(PeerCertificateCatcher(seen))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            seen.succeed(nil)
            return nil
        }
        let deadline = loop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        let certificate = try? await seen.futureResult.get()
        deadline.cancel()
        channel.close(promise: nil)
        return certificate
    }
}

/// Takes the peer's certificate once the handshake completed or failed (BoringSSL keeps what
/// the peer sent either way), then closes: the first of those, or the close, settles it.
private final class PeerCertificateCatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<NIOSSLCertificate?>
    private var settled = false

    init(_ promise: EventLoopPromise<NIOSSLCertificate?>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            settle(try? context.pipeline.syncOperations.nioSSL_peerCertificate())
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        settle(try? context.pipeline.syncOperations.nioSSL_peerCertificate())
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle(nil)
        context.fireChannelInactive()
    }

    private func settle(_ certificate: NIOSSLCertificate?) {
        guard !settled else { return }
        settled = true
        promise.succeed(certificate)
    }
}

@available(*, unavailable)
extension PeerCertificateCatcher: Sendable {}
