import NIOCore

/// A node's `host:port`, parsed from operator input: IPv4 (`10.0.0.1:9090`), bracketed IPv6
/// (`[::1]:9090`) or a hostname (`thrift-3.internal:9090`).
///
/// The pool itself arrives with the ClusterPool issue; this type is shared already by the demo
/// servers, which write the cluster config the pool will read.
public struct NodeAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Why a `host:port` string was rejected.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var input: String
        public var reason: String
        public var description: String { "bad address \"\(input)\": \(reason)" }
    }

    public init(parsing text: String) throws {
        func fail(_ reason: String) -> ParseError { ParseError(input: text, reason: reason) }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("missing ']' after an IPv6 address") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw fail("expected ':PORT' after ']'") }
            portText = rest.dropFirst()
            guard host.contains(":") else { throw fail("brackets are only for IPv6 addresses") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw fail("expected HOST:PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw fail("an IPv6 address needs brackets: [ADDR]:PORT") }
        }
        guard !host.isEmpty else { throw fail("empty host") }
        guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._:%".contains($0)) }) else {
            throw fail("host has characters not allowed in a hostname or IP address")
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw fail("port must be a number from 1 to 65535")
        }
        self.host = String(host)
        self.port = port
    }

    /// An address to listen on: as `init(parsing:)`, and port 0 lets the OS pick one (`serve`
    /// says which), for tests and throwaway setups.
    public init(listening text: String) throws {
        let anyPort = text.hasSuffix(":0")
        self = try NodeAddress(parsing: anyPort ? String(text.dropLast()) + "1" : text)
        if anyPort { port = 0 }
    }

    /// The IP address and port of a socket (a bound listener, a connected peer); nil for a Unix
    /// socket or none.
    public init?(_ address: SocketAddress?) {
        guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
        self.init(host: ip, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
