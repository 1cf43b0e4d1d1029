import NIOCore
import NIOPosix
import NIOSSL
import TLSSupport

/// How a listener's client connections begin. The first bytes tell a TLS client from a
/// plaintext one: a mismatch either way is named and the connection closed. On a TLS listener a
/// match gets a `NIOSSLServerHandler` with the context in force at that moment (a reload
/// replaces it for later connections only), and a guard that reports a failed or stalled
/// handshake once and closes the connection.
enum ListenerTLS {
    /// A handshake must complete within this, or the listener's idle timeout when shorter: a
    /// client stalled half-way through its ClientHello must not hold a connection for long.
    static let handshakeTimeout = TimeAmount.seconds(10)

    /// Adds the front of a new client connection's pipeline (before the Thrift decoder).
    static func addHandlers(to channel: any Channel, tls: ReloadableTLSContext?, listener: ListenerState, peer: String) throws {
        let sync = channel.pipeline.syncOperations
        guard let tls else {
            try sync.addHandler(TLSSniffHandler(expectingTLS: false) { context, _ in
                listener.mismatched(peer: peer, clientUsesTLS: true)
                context.close(promise: nil)
            })
            return
        }
        let sniff = TLSSniffHandler(expectingTLS: true, matched: { context in
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.current), position: .after(context.handler))
        }, mismatched: { context, _ in
            listener.mismatched(peer: peer, clientUsesTLS: false)
            context.close(promise: nil)
        })
        try sync.addHandler(sniff)
        try sync.addHandler(TLSHandshakeGuard(timeout: min(handshakeTimeout, listener.config.idleTimeout)) { failure in
            listener.handshakeFailed(peer: peer, failure)
        })
    }

    /// Reads a listener's files into a context, on NIO's thread pool (disk I/O stays off the loop).
    static func load(_ files: ServerTLSFiles) async throws -> ReloadableTLSContext {
        try await NIOThreadPool.singleton.runIfActive { try ReloadableTLSContext(files: files) }
    }

    /// Reads them again for the connections accepted from now on; on an error the old stay in force.
    static func reread(_ tls: ReloadableTLSContext, _ files: ServerTLSFiles) async throws {
        try await NIOThreadPool.singleton.runIfActive { try tls.reload(files) }
    }
}
