import Foundation

/// Where one etcd member serves its v3 JSON gateway: `http://HOST:PORT` or, for an etcd with
/// `--cert-file`, `https://HOST:PORT`, as written in the cluster config's `endpoints`.
public struct EtcdEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// `http(s)://HOST:PORT`, without a trailing slash; request paths (`/v3/…`) are appended to it.
    public var url: String
    /// Whether it is an `https://` endpoint (TLS, see `EtcdTLS`).
    public let isTLS: Bool
    /// The host as written (an IPv6 address without brackets), and the port.
    public let host: String
    public let port: Int

    /// Why a text is not an endpoint this client can use, naming the text.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Reads `http://127.0.0.1:2379` or `https://etcd-1.internal:2379` (an IPv6 host in brackets, a
    /// trailing slash allowed). The port must be given: etcd's own default (2379) is not HTTP's,
    /// so a guess would be wrong either way.
    public init(parsing text: String) throws {
        let quoted = "\"\(EtcdText.clean(text))\""
        guard let parts = URLComponents(string: text), let scheme = parts.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parts.host, !host.isEmpty, parts.user == nil, parts.password == nil,
              parts.path.isEmpty || parts.path == "/", parts.query == nil, parts.fragment == nil
        else {
            throw Invalid(description: "\(quoted) is not an etcd endpoint: expected http://HOST:PORT or https://HOST:PORT")
        }
        guard let port = parts.port, (1...65535).contains(port) else {
            throw Invalid(description: "\(quoted) has no port: write \(scheme)://\(host):2379 (etcd's default client port) or the one your etcd listens on")
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.host = bare
        self.port = port
        isTLS = scheme == "https"
        url = "\(scheme)://\(bare.contains(":") ? "[\(bare)]" : bare):\(port)"
    }

    public var description: String { url }
}

/// An etcd user and password, for clusters with auth enabled. The client trades them for a
/// token at the first request and again whenever etcd forgets the token.
public struct EtcdCredentials: Sendable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// One key as etcd stores it: the value as raw bytes (the caller decides what they mean) and
/// the revisions etcd keeps for it.
public struct EtcdKeyValue: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    /// The revision of the put that created the key (since its last delete).
    public var createRevision: Int64
    /// The revision of the last put to the key.
    public var modRevision: Int64
    /// How many puts since the key was created (1 after the first).
    public var version: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
    }
}

/// Every key under a prefix, read at one revision of the store.
public struct EtcdRange: Sendable, Equatable {
    /// The store's revision the read saw (etcd's header revision): a watch from `revision + 1`
    /// misses nothing that happened after this read.
    public var revision: Int64
    /// Sorted by key.
    public var kvs: [EtcdKeyValue]

    public init(revision: Int64, kvs: [EtcdKeyValue]) {
        self.revision = revision
        self.kvs = kvs
    }
}

/// A condition of a transaction (`txn(if:then:else:)`); all of them must hold for the `then` branch.
public enum EtcdCompare: Sendable, Equatable {
    /// No key under `prefix` was written after `revision` (every one has mod_revision ≤ revision;
    /// a deleted key no longer counts, an empty prefix holds). Sent as MOD LESS revision + 1 over
    /// [prefix, prefixEnd(prefix)): "nothing changed since the read I decided on".
    case noneModifiedSince(prefix: String, revision: Int64)
    /// The key's mod_revision is exactly `equals`; 0 means the key does not exist (etcd compares
    /// an absent key's mod_revision as 0): create-if-absent, or "unchanged since I read it".
    case modRevision(key: String, equals: Int64)
}

/// A write inside a transaction.
public enum EtcdOperation: Sendable, Equatable {
    case put(key: String, value: [UInt8])
    case delete(key: String)
    /// Deletes every key in [from, to); `to` = `EtcdClient.prefixEnd(p)` with `from` = p deletes a prefix.
    case deleteRange(from: String, to: String)
}

/// How a transaction went.
public struct EtcdTxnResult: Sendable, Equatable {
    /// Whether every compare held, so the `then` operations ran (else the `else` ones did).
    public var succeeded: Bool
    /// The store's revision after the transaction (the new one if it wrote).
    public var revision: Int64

    public init(succeeded: Bool, revision: Int64) {
        self.succeeded = succeeded
        self.revision = revision
    }
}

/// One change a watch saw.
public enum EtcdWatchEvent: Sendable, Equatable {
    case put(EtcdKeyValue)
    /// The key was deleted at revision `modRevision`.
    case delete(key: String, modRevision: Int64)
}

/// The changes etcd sent in one watch response, oldest first.
public struct EtcdWatchBatch: Sendable, Equatable {
    /// Every change under the prefix up to and including this revision has been delivered (in
    /// this batch or an earlier one): resume a watch from `revision + 1`. With events it is the
    /// last event's revision (etcd's header may run ahead of them while it replays old history);
    /// without events (a progress notification) it is etcd's header revision.
    public var revision: Int64
    public var events: [EtcdWatchEvent]

    public init(revision: Int64, events: [EtcdWatchEvent]) {
        self.revision = revision
        self.events = events
    }
}
