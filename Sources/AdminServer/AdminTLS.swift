import ClusterModel
import ClusterPool
import NIOCore
import TLSSupport

/// TLS on the admin endpoint's TCP side. A plain HTTP client (`http://` to it) gets a 400 that
/// says to use https://, rather than a closed connection it cannot explain; a handshake that
/// fails or stalls is a pool event naming the peer and the reason, and closes the connection.
enum AdminTLS {
    static let handshakeTimeout = TimeAmount.seconds(10)

    /// Adds the front of a new TCP connection's pipeline (before the HTTP codec).
    static func addHandlers(to channel: any Channel, tls: ReloadableTLSContext, pool: ClusterPool) throws {
        let local = NodeAddress(channel.localAddress)?.description ?? "?"
        let peer = NodeAddress(channel.remoteAddress)?.description ?? "?"
        try tls.addServerHandlers(to: channel, handshakeTimeout: handshakeTimeout, plaintextClient: { context in
            context.writeAndFlush(NIOAny(plaintextAnswer(allocator: context.channel.allocator))).whenComplete { [channel = context.channel] _ in
                channel.close(promise: nil)
            }
        }, handshakeFailed: { failure in
            pool.logEvent(.warning, .connection, "admin endpoint \(local): TLS handshake with \(peer) failed: \(failure.text)")
        })
    }

    /// What a plain HTTP request on the TLS port is answered (and the connection closed).
    static func plaintextAnswer(allocator: ByteBufferAllocator) -> ByteBuffer {
        let body = #"{"error":"this admin endpoint speaks TLS: use https:// (plain http:// here is likely a mismatch)"}"#
        return allocator.buffer(string: "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + body)
    }
}

extension AdminServer: ReloadParticipant {
    /// Reads the TCP endpoint's certificate and key again, at the paths it started with (a
    /// change of `[admin]` needs a restart): new connections get them, open ones (attached
    /// dashboards) keep theirs. A file that fails to read leaves the old ones in force and is
    /// named in the outcome.
    public func reload(_ config: ClusterConfig, into outcome: inout ReloadOutcome) async {
        guard let tls, let address = tcpAddress else { return }
        do {
            try await tls.reread(tls.files)
            outcome.tlsFilesReread.append("admin endpoint \(address)")
        } catch {
            outcome.notApplied.append("admin endpoint \(address): \(error); its certificate in force stays")
        }
    }
}
