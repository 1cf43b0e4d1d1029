import NIOCore
import TLSSupport

/// How a listener's client connections begin. The first bytes tell a TLS client from a
/// plaintext one: a mismatch either way is named and the connection closed. A TLS listener's
/// connections begin as `ReloadableTLSContext.addServerHandlers` sets them up.
enum ListenerTLS {
    /// A handshake must complete within this, or the listener's idle timeout when shorter: a
    /// client stalled half-way through its ClientHello must not hold a connection for long.
    static let handshakeTimeout = TimeAmount.seconds(10)

    /// Adds the front of a new client connection's pipeline (before the Thrift decoder).
    static func addHandlers(to channel: any Channel, tls: ReloadableTLSContext?, listener: ListenerState, peer: String) throws {
        guard let tls else {
            try channel.pipeline.syncOperations.addHandler(TLSSniffHandler(expectingTLS: false) { context in
                listener.mismatched(peer: peer, clientUsesTLS: true)
                context.close(promise: nil)
            })
            return
        }
        try tls.addServerHandlers(to: channel, handshakeTimeout: min(handshakeTimeout, listener.config.idleTimeout), plaintextClient: { context in
            listener.mismatched(peer: peer, clientUsesTLS: false)
            context.close(promise: nil)
        }, handshakeFailed: { failure in
            listener.handshakeFailed(peer: peer, failure)
        })
    }
}
