import NIOCore

/// The server side of heartbeat detection: which connected clients heartbeat (`getStatus`) and
/// which of them went silent — stopped heartbeating while still connected, the signature of a
/// client that hangs or a half-open connection.
///
/// A client is silent when it has sent at least two heartbeats and nothing for
/// `silenceFactor` × its mean interval (and at least `minimumSilence`). Pure: time is passed in.
public struct HeartbeatClientTracker: Sendable {
    struct Client: Sendable {
        var beats = 0
        var last: NIODeadline
        var meanIntervalNanos: Double = 0
    }

    public var silenceFactor: Double = 3
    public var minimumSilence: TimeAmount = .seconds(1)
    private var clients: [Int: Client] = [:]

    public init() {}

    public mutating func heartbeat(connection: Int, at now: NIODeadline) {
        guard var client = clients[connection] else {
            clients[connection] = Client(beats: 1, last: now)
            return
        }
        let interval = Double((now - client.last).nanoseconds)
        // EWMA with a fast start: the first interval is taken as is.
        client.meanIntervalNanos = client.beats == 1 ? interval : 0.8 * client.meanIntervalNanos + 0.2 * interval
        client.beats += 1
        client.last = now
        clients[connection] = client
    }

    public mutating func disconnected(connection: Int) {
        clients[connection] = nil
    }

    /// Connected clients that heartbeat and are not silent.
    public func activeCount(at now: NIODeadline) -> Int {
        clients.values.filter { !isSilent($0, now: now) }.count
    }

    /// Connected clients that used to heartbeat and stopped.
    public func silentCount(at now: NIODeadline) -> Int {
        clients.values.filter { isSilent($0, now: now) }.count
    }

    private func isSilent(_ client: Client, now: NIODeadline) -> Bool {
        guard client.beats >= 2 else { return false }
        let threshold = max(Double(minimumSilence.nanoseconds), silenceFactor * client.meanIntervalNanos)
        return Double((now - client.last).nanoseconds) > threshold
    }
}
