import ClusterModel
import NIOCore

/// Why an etcd request or watch failed, in words an operator can act on: each text names the
/// endpoint, and the key, prefix or user concerned. Text that came from etcd is cleaned of
/// control characters before it is put in here.
public enum EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No endpoint answered; the text names each one and why ("connection refused", "timed out
    /// after 2 s"). A write whose answer was lost says that its outcome is unknown.
    case unreachable(String)
    /// etcd refused the user's name or password.
    case authenticationFailed(user: String, String)
    /// The user may not do this to this key or prefix (or auth is on and no user was given).
    case permissionDenied(String)
    /// TLS with etcd failed in a way only a configuration change mends: its certificate is not
    /// trusted, has expired or is for another name, it wants a client certificate, or an endpoint
    /// is written http:// for a TLS etcd (or the reverse). The text names each endpoint and why.
    case tls(String)
    /// A watch asked for history etcd has compacted away: re-read the whole prefix, then watch
    /// from the read's revision + 1.
    case compacted(compactRevision: Int64)
    /// Any other error answer, with etcd's message and gRPC code.
    case server(String)
    /// An answer that is not what etcd's gateway sends.
    case malformed(String)

    public var description: String {
        switch self {
        case let .unreachable(text), let .authenticationFailed(_, text), let .permissionDenied(text),
             let .tls(text), let .server(text), let .malformed(text):
            text
        case let .compacted(revision):
            "etcd no longer has the history the watch asked for (compacted up to revision \(revision)): re-read the prefix"
        }
    }

    /// Whether this is etcd being out of reach (rather than a refusal, a TLS failure or a bad answer).
    public var isUnreachable: Bool {
        if case .unreachable = self { return true }
        return false
    }

    /// A transaction or compaction whose answer was lost: it may or may not have been done.
    public var isOutcomeUnknown: Bool {
        if case let .unreachable(text) = self { return text.hasSuffix(Self.outcomeUnknownSuffix) }
        return false
    }

    static let outcomeUnknownSuffix = "whether it was done is unknown"
}

/// Cleans text from the network (etcd's messages, keys it sent) before it goes into an error:
/// control characters (C0, DEL, C1, so no escape sequence survives whole) and bidirectional or
/// zero-width marks are dropped, and the length is bounded.
enum EtcdText {
    static let maximumLength = 512

    static func clean(_ text: String) -> String { TextSanitizer.clean(text, maximumLength: maximumLength) }

    /// A key or prefix as it appears in an error: quoted and cleaned.
    static func quoted(_ key: String) -> String { "\"\(clean(key))\"" }
}

extension EtcdText {
    /// "2" for 2 s, "0.5" for 500 ms.
    static func seconds(_ amount: TimeAmount) -> String {
        let nanoseconds = amount.nanoseconds
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)" }
        return "\(Double(nanoseconds / 1_000_000) / 1000)"
    }
}
