import ClusterModel
import NIOCore
import ThriftWire

/// How a heartbeat ended, classified once from what the connection reported.
enum HeartbeatOutcome {
    /// A well-formed reply: the fb303 status (nil for a named-method heartbeat) and the round trip.
    case answered(FBStatus?, millis: Double)
    case failed(HeartbeatFailure)
}

/// A failed heartbeat: the event kind it is logged as, and the operator's text.
struct HeartbeatFailure: Equatable {
    var kind: PoolEvent.Kind
    var message: String
    /// The server did answer, with something unusable (an exception, an undecodable body).
    var gotReply = false
    /// For a timeout: how long it waited.
    var timeoutMillis: Int64 = 0
}

/// How one call attempt on a node ended, as far as the node's figures go.
enum CallOutcome {
    /// A reply: round trip, and the TApplicationException text if it was one.
    case answered(millis: Double, exception: String?)
    /// No answer (timeout, the connection failed): the text, and what the attempt costs the
    /// node in the balancer's eyes: its whole timeout, held as a call in flight until the
    /// attempt's deadline.
    case failed(String, timeout: TimeAmount, deadline: NIODeadline)
    /// Ended with no reply to measure and nothing learnt of the node: a oneway written, a call
    /// that could not be translated to the node's protocol.
    case ended
}

/// The one classification of what a connection reports, for heartbeats and calls alike.
enum ConnectionFailure {
    /// Never written, or the connection closed under it: the close itself is the evidence.
    case connectionGone(written: Bool)
    case timedOut
    /// The server answered, but the reply's body did not decode.
    case undecodable(String)
    /// The server broke the protocol (a reply to another call, a call sent to a client).
    case badReply(String)
    /// The bytes did not frame or decode: a transport mismatch, or a broken server.
    case wire(ThriftWireError)
    /// A call connection could not be opened: nothing was written.
    case notConnected(String)
    case other(String)

    init(_ error: any Error) {
        switch error {
        case ThriftClientError.notSent: self = .connectionGone(written: false)
        case ThriftClientError.connectionClosed: self = .connectionGone(written: true)
        case ThriftClientError.timedOut: self = .timedOut
        case let ThriftClientError.undecodableReply(detail): self = .undecodable(detail)
        case let error as ThriftClientError: self = .badReply(error.description)
        case let error as ThriftWireError: self = .wire(error)
        case let error as CallConnectError: self = .notConnected(error.description)
        // A reset or a read error: the connection is gone, and its close reports why.
        case is IOError, is ChannelError: self = .connectionGone(written: true)
        default: self = .other(ErrorText.describe(error))
        }
    }

    /// What this failure means for a heartbeat; nil when the connection's close reports it.
    func heartbeatFailure(timeout: TimeAmount) -> HeartbeatFailure? {
        switch self {
        case .connectionGone, .notConnected:
            return nil
        case .timedOut:
            let millis = timeout.nanoseconds / 1_000_000
            return HeartbeatFailure(kind: .timeout, message: "heartbeat timed out after \(millis) ms", timeoutMillis: millis)
        case let .undecodable(detail):
            return HeartbeatFailure(kind: .protocolError, message: "undecodable heartbeat reply: \(detail)", gotReply: true)
        case let .badReply(text):
            return HeartbeatFailure(kind: .protocolError, message: text, gotReply: true)
        case let .wire(error):
            if case .transportMismatch = error.kind {
                return HeartbeatFailure(kind: .transportMismatch, message: "\(error) — check the node's transport (framed/unframed) setting")
            }
            return HeartbeatFailure(kind: .protocolError, message: error.description)
        case let .other(text):
            return HeartbeatFailure(kind: .protocolError, message: text)
        }
    }

    /// What this failure means for a call: the retry policy's class and the caller's error.
    func callFailure(node: String, timeout: TimeAmount) -> (CallFailure, PoolCallError) {
        switch self {
        case .connectionGone(written: false):
            (.notWritten, .connection(node: node, reason: "connection closed before the call was sent"))
        case .connectionGone(written: true):
            (.connectionLost, .connection(node: node, reason: "connection closed while the call was in flight"))
        case .timedOut:
            (.timeout, .timeout(node: node, after: timeout))
        case let .undecodable(detail):
            (.protocolError, .protocolError(node: node, reason: "undecodable reply: \(detail)"))
        case let .badReply(text):
            (.protocolError, .protocolError(node: node, reason: text))
        case let .wire(error):
            (.protocolError, .protocolError(node: node, reason: error.description))
        case let .notConnected(text):
            (.notWritten, .connection(node: node, reason: text))
        case let .other(text):
            (.connectionLost, .connection(node: node, reason: text))
        }
    }
}
