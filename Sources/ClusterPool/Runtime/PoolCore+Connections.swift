import ClusterModel
import NIOCore
import ThriftWire

extension PoolCore {
    func connect(_ node: NodeLink) {
        guard !stopped else { return }
        node.connection = .connecting
        connector(node.config, tls[node.settings.tls], loop).hop(to: loop).assumeIsolated().whenComplete { [self] result in
            switch result {
            case let .success(connection):
                guard !stopped, !node.retired else {
                    connection.channel.close(promise: nil)
                    return
                }
                connected(node, connection)
            case let .failure(error):
                guard !node.retired else { return }
                node.connection = .backingOff
                apply(node.state.connectFailed(ErrorText.describe(error), kind: error is NodeTLSFailure ? .tls : .connection, at: now), to: node)
                scheduleReconnect(node)
            }
        }
    }

    private func connected(_ node: NodeLink, _ connection: ThriftConnection) {
        node.connection = .connected(connection)
        // Reopened after an HTTP server ended the last one cleanly: the node never stopped being
        // connected (no loss was recorded), so this is not news.
        if !(node.closesAfterEachReply && node.state.connected) {
            apply(node.state.connected(at: now, tls: connection.tls, wallTime: options.wallClock()), to: node)
        }
        if let certificate = connection.tls?.certificate { node.metrics.certificate(expiresAt: certificate.notValidAfter) }
        connection.channel.closeFuture.hop(to: loop).assumeIsolated().whenComplete { [self] _ in
            connectionLost(node, connection)
        }
        // Heartbeat replies come here for the life of the connection (no callback per beat).
        // The handler drops this closure when the connection closes.
        let id = ObjectIdentifier(connection)
        connection.onProbeOutcome { [self] outcome in
            guard let current = node.liveConnection, ObjectIdentifier(current) == id else { return }
            heartbeatCompleted(node, outcome)
            refreshNodeSnapshotIfReading(node)
        }
        // Check at once rather than at the next scheduled beat: a restarted node comes back fast.
        sendHeartbeat(node)
        // An HTTP server that closes after each answer is reconnected at every beat: its
        // details come when due, one call a connection (`fetchDetails`).
        if !node.closesAfterEachReply { fetchDetails(node) }
    }

    private func connectionLost(_ node: NodeLink, _ connection: ThriftConnection) {
        guard !stopped, case let .connected(current) = node.connection, current === connection else { return }
        if connection.endedByServer {
            // An HTTP server that closes after each answer (HTTP/1.0): no failure; the next
            // heartbeat opens a new connection, and holding an idle one open meanwhile would
            // block a server that serves one connection at a time.
            node.connection = .idle
            if !node.closesAfterEachReply {
                // The details asked on this connection were cut off by the close: again, a call each.
                node.closesAfterEachReply = true
                fetchDetails(node)
            }
            return
        }
        node.connection = .backingOff
        apply(node.state.connectionLost(at: now), to: node)
        scheduleReconnect(node)
    }

    private func scheduleReconnect(_ node: NodeLink) {
        guard !stopped, !node.retired else { return }
        let delay = node.backoff.nextDelay(using: &random)
        node.reconnectTask = loop.assumeIsolated().scheduleTask(in: delay) { [self] in
            connect(node)
        }
    }
}
