import Foundation
import NIOPosix
import NIOCore
import ThriftWire

/// Why a call through the pool failed. Declared exceptions of the method are not wrapped: they
/// are thrown as themselves.
public enum PoolCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No node may take calls now (all down, drained, ejected, or weight 0).
    case noRoutableNode
    /// Every node that could take it has all its call connections busy and its queue full.
    case overloaded
    /// No reply before the call's deadline.
    case timeout(node: String, after: TimeAmount)
    /// The connection failed (refused, reset, closed) and the call could not be retried.
    case connection(node: String, reason: String)
    /// The server answered with a TApplicationException.
    case application(node: String, TApplicationException)
    /// The reply could not be decoded, or did not belong to the call.
    case protocolError(node: String, reason: String)

    public var description: String {
        switch self {
        case .noRoutableNode: "no routable node"
        case .overloaded: "overloaded: every routable node's call queue is full"
        case let .timeout(node, after): "\(node): timed out after \(after.nanoseconds / 1_000_000) ms"
        case let .connection(node, reason): "\(node): connection failed: \(reason)"
        case let .application(node, exception): "\(node): \(exception)"
        case let .protocolError(node, reason): "\(node): protocol error: \(reason)"
        }
    }
}

/// Options of one call through the pool.
public struct CallOptions: Sendable {
    /// The whole call, retries included, must finish within this.
    public var timeout: TimeAmount
    /// Safe to send twice: then a call that timed out or lost its connection may be retried.
    public var idempotent: Bool

    public init(timeout: TimeAmount = .seconds(2), idempotent: Bool = false) {
        self.timeout = timeout
        self.idempotent = idempotent
    }
}

/// Describes NIO and Thrift errors the way an operator wants to read them: "connection
/// refused", "DNS lookup failed for db-3", not an errno dump.
public enum ErrorText {
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if error.dnsAError != nil && error.dnsAAAAError != nil && error.connectionErrors.isEmpty {
                return "DNS lookup failed for \(error.host)"
            }
            if let first = error.connectionErrors.first { return describe(first.error) }
            return "cannot connect to \(error.host):\(error.port)"
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ECONNRESET: return "connection reset by peer"
            case ETIMEDOUT: return "connection timed out"
            case EHOSTUNREACH: return "host unreachable"
            case ENETUNREACH: return "network unreachable"
            case EADDRINUSE: return "address already in use"
            case EADDRNOTAVAIL: return "address not available on this host"
            case EACCES: return "permission denied"
            default: return "\(error)"
            }
        case ChannelError.connectTimeout(let amount):
            return "connect timed out after \(amount.nanoseconds / 1_000_000) ms"
        case let error as ThriftConnection.CallError:
            return error.description
        case let error as ThriftWireError:
            return error.description
        case let error as ThriftClientError:
            return error.description
        case let error as TApplicationException:
            return error.description
        default:
            return "\(error)"
        }
    }
}
