import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// A client of etcd v3 through its JSON gateway (`POST /v3/…`, served by etcd 3.4 on the client
/// port) over AsyncHTTPClient: reads, puts, transactions, compaction, a status probe and watches
/// (EtcdWatch.swift) on a list of members.
///
/// - Failover: a request that cannot reach one endpoint (refused, timed out, etcd "unavailable")
///   goes to the next; the one that answered is asked first next time. A write whose request
///   may have reached etcd before the answer was lost is not resent (its outcome is unknown).
/// - TLS: `https://` endpoints are verified with `tls` (the system's CAs when nil); a failed
///   verification, a wrong name, a refused client certificate or http/https written the wrong
///   way round is `EtcdError.tls`, a configuration to fix, never `.unreachable`. `replaceTLS`
///   puts renewed certificate files in force for new connections.
/// - Auth: with credentials the client authenticates at the first request (or `authenticate()`),
///   keeps the token, and when etcd no longer knows it (a restart, the token's TTL) takes a new
///   one once and repeats the request.
///
///     let etcd = EtcdClient(endpoints: [try EtcdEndpoint(parsing: "http://127.0.0.1:2379")],
///                           credentials: nil, http: HTTPClient(configuration: EtcdClient.httpConfiguration))
///     let read = try await etcd.range(prefix: "/thrifttop/prod/")
///     for try await batch in etcd.watch(prefix: "/thrifttop/prod/", from: read.revision + 1) { … }
public final class EtcdClient: Sendable {
    public let endpoints: [EtcdEndpoint]
    let credentials: EtcdCredentials?
    let http: HTTPClient
    let requestTimeout: TimeAmount
    let state: Mutex<Session>

    /// What the client learnt from the endpoints so far.
    struct Session {
        /// The endpoint that answered last: asked first.
        var preferred = 0
        var token = Token.unknown
        /// For `https://` endpoints; replaced by `replaceTLS`.
        var tls: EtcdTLS
    }

    enum Token: Equatable {
        case unknown
        case token(String)
        /// Credentials were given but etcd has auth off: send no token (a token etcd does not
        /// know is refused even then).
        case notRequired
    }

    /// The largest unary answer read (a range of a big prefix); etcd's own default limit on a
    /// gRPC answer is far above what thrifttop keeps under its prefix.
    static let maximumAnswer = 64 << 20

    /// Settings for the `HTTPClient` given to this client: a refused connect fails at once
    /// (AsyncHTTPClient would otherwise retry it until the request's deadline, delaying failover
    /// to the next endpoint by that long), a connect gives up after 1 s, and no read timeout,
    /// since a watch may be quiet for long (the watch has its own silence limit). HTTP/1.1 also
    /// over TLS (where ALPN would pick HTTP/2): a request per connection at a time, as over plain
    /// HTTP, so that failover and the failures it tells apart are the same on both. The TLS
    /// handshake shares the connect's 1 s.
    public static var httpConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(1)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        return configuration
    }

    /// `endpoints` must not be empty; they are members of one etcd cluster. `requestTimeout`
    /// bounds each unary request to one endpoint (and a watch's wait for its first answer).
    /// `tls` is for `https://` endpoints (nil: `EtcdTLS.systemTrust`).
    public init(endpoints: [EtcdEndpoint], credentials: EtcdCredentials?, http: HTTPClient, tls: EtcdTLS? = nil,
                requestTimeout: TimeAmount = .seconds(2)) {
        precondition(!endpoints.isEmpty, "an etcd client needs at least one endpoint")
        self.endpoints = endpoints
        self.credentials = credentials
        self.http = http
        self.requestTimeout = requestTimeout
        state = Mutex(Session(tls: tls ?? .systemTrust))
    }

    /// New requests use `tls` from now on: AsyncHTTPClient keeps connections apart by TLS
    /// configuration, so they go over new connections with the new certificates, while requests
    /// and watches under way finish on the ones they have (idle old ones close after the
    /// pool's idle timeout). Returns whether `tls` differs from the one in use.
    @discardableResult
    public func replaceTLS(_ tls: EtcdTLS) -> Bool {
        state.withLock { session in
            defer { session.tls = tls }
            return !session.tls.isSame(as: tls)
        }
    }

    /// The TLS settings new requests use.
    var tls: EtcdTLS { state.withLock { $0.tls } }

    /// etcd's range end for a prefix: the prefix with its last byte plus one (trailing 0xff bytes
    /// dropped first), "\0" for a prefix of only 0xff bytes or none, meaning "to the end". A prefix
    /// whose range end is not valid UTF-8 (one ending in U+007F, say) has no exact `String` form;
    /// the client's own prefix requests use the bytes and are exact.
    public static func prefixEnd(_ prefix: String) -> String {
        String(decoding: EtcdJSON.prefixEnd(Array(prefix.utf8)), as: UTF8.self)
    }

    // MARK: - Key-value requests

    /// Every key under `prefix`, with the store revision the read saw.
    public func range(prefix: String) async throws -> EtcdRange {
        try await call("/v3/kv/range", EtcdJSON.prefixRange(prefix), subject: "reading the prefix \(EtcdText.quoted(prefix))") {
            EtcdRange(revision: try EtcdJSON.headerRevision($0), kvs: try EtcdJSON.keyValues($0))
        }
    }

    /// The key, or nil when it does not exist.
    public func get(_ key: String) async throws -> EtcdKeyValue? {
        try await call("/v3/kv/range", ["key": EtcdJSON.base64(key)], subject: "reading the key \(EtcdText.quoted(key))") {
            try EtcdJSON.keyValues($0).first
        }
    }

    /// The first `limit` keys under `prefix` in key order (`ascending` or not), without their
    /// values; `limit` 0 means all of them.
    public func keys(prefix: String, limit: Int, ascending: Bool) async throws -> [String] {
        var body = EtcdJSON.prefixRange(prefix)
        body["keys_only"] = true
        body["sort_target"] = "KEY"
        body["sort_order"] = ascending ? "ASCEND" : "DESCEND"
        if limit > 0 { body["limit"] = String(limit) }
        return try await call("/v3/kv/range", body, subject: "listing the keys under \(EtcdText.quoted(prefix))") {
            try EtcdJSON.keyValues($0).map(\.key)
        }
    }

    /// How many keys there are under `prefix`.
    public func count(prefix: String) async throws -> Int {
        var body = EtcdJSON.prefixRange(prefix)
        body["count_only"] = true
        return try await call("/v3/kv/range", body, subject: "counting the keys under \(EtcdText.quoted(prefix))") {
            Int(try EtcdJSON.int64($0, "count"))
        }
    }

    /// Writes the key; returns the store's revision after the put. A put whose answer was lost
    /// is sent again to the next endpoint: the key ends with this value either way.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) async throws -> Int64 {
        try await call("/v3/kv/put", ["key": EtcdJSON.base64(key), "value": EtcdJSON.base64(value)],
                       subject: "writing the key \(EtcdText.quoted(key))") {
            try EtcdJSON.headerRevision($0)
        }
    }

    /// One atomic transaction: if every `compare` holds, the `success` operations run, else the
    /// `failure` ones. Never sent twice: when the answer is lost it throws `.unreachable` saying
    /// the outcome is unknown (read the keys again to find out).
    public func txn(if compare: [EtcdCompare], then success: [EtcdOperation], else failure: [EtcdOperation] = []) async throws -> EtcdTxnResult {
        let body: [String: Any] = [
            "compare": compare.map(EtcdJSON.compare),
            "success": success.map(EtcdJSON.operation),
            "failure": failure.map(EtcdJSON.operation),
        ]
        return try await call("/v3/kv/txn", body, subject: Self.describeTransaction(compare, success + failure), idempotent: false) {
            EtcdTxnResult(succeeded: EtcdJSON.flag($0, "succeeded"), revision: try EtcdJSON.headerRevision($0))
        }
    }

    /// Drops the history before `revision` (a watch from an older revision then fails with
    /// `.compacted`). Compacting to a revision already compacted is an error from etcd.
    public func compact(revision: Int64) async throws {
        try await call("/v3/kv/compaction", ["revision": String(revision)], subject: "compacting to revision \(revision)", idempotent: false) {
            _ = try EtcdJSON.headerRevision($0)
        }
    }

    /// The store's current revision: a cheap health probe (also authenticates, when due).
    public func status() async throws -> Int64 {
        try await call("/v3/maintenance/status", [:], subject: "asking for its status") {
            try EtcdJSON.headerRevision($0)
        }
    }

    /// "a transaction on "/a", "/b" and 2 more keys": the keys an error is about.
    static func describeTransaction(_ compare: [EtcdCompare], _ operations: [EtcdOperation]) -> String {
        var keys: [String] = []
        for compare in compare {
            switch compare {
            case let .noneModifiedSince(prefix, _): keys.append(prefix)
            case let .modRevision(key, _): keys.append(key)
            }
        }
        for operation in operations {
            switch operation {
            case let .put(key, _), let .delete(key), let .deleteRange(key, _): keys.append(key)
            }
        }
        var unique: [String] = []
        for key in keys where !unique.contains(key) { unique.append(key) }
        guard !unique.isEmpty else { return "an empty transaction" }
        let shown = unique.prefix(3).map(EtcdText.quoted).joined(separator: ", ")
        return unique.count > 3 ? "a transaction on \(shown) and \(unique.count - 3) more keys" : "a transaction on \(shown)"
    }
}
