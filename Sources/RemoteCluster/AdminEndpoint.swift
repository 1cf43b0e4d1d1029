import Foundation

/// Where a running pool's admin endpoint answers, as `thrifttop attach` is given it:
/// `unix:PATH` (the daemon's Unix socket) or `http://HOST:PORT` (loopback TCP, with a token).
public enum AdminEndpoint: Hashable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case http(host: String, port: Int)

    /// Parses `unix:PATH`, a bare absolute path ending in `.sock`, or `http://HOST:PORT`; the
    /// error says which forms are understood.
    public init(parsing text: String) throws {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard !path.isEmpty else { throw AdminEndpointError(text: text, reason: "unix: needs a socket path, e.g. unix:/run/user/1000/thrifttop/prod.sock") }
            self = .unix(path: path)
        } else if text.hasPrefix("/"), text.hasSuffix(".sock") {
            self = .unix(path: text)
        } else if text.hasPrefix("http://") {
            let rest = text.dropFirst("http://".count).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1 ... 65535).contains(port) else {
                throw AdminEndpointError(text: text, reason: "http:// needs HOST:PORT, e.g. http://127.0.0.1:9901")
            }
            var host = String(rest[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw AdminEndpointError(text: text, reason: "http:// needs a host") }
            self = .http(host: host, port: port)
        } else if text.hasPrefix("https://") {
            throw AdminEndpointError(text: text, reason: "https:// comes with TLS support, not yet built; use unix:PATH or http://HOST:PORT (loopback)")
        } else {
            throw AdminEndpointError(text: text, reason: "give unix:PATH or http://HOST:PORT")
        }
    }

    public var description: String {
        switch self {
        case let .unix(path): "unix:\(path)"
        case let .http(host, port): host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
        }
    }

    /// The URL AsyncHTTPClient takes for `path` on this endpoint.
    func url(_ path: String) -> String {
        switch self {
        case let .unix(socket):
            return URL(httpURLWithSocketPath: socket, uri: path)?.absoluteString ?? "http+unix://invalid\(path)"
        case .http:
            return description + path
        }
    }

    /// Whether requests need a bearer token (TCP) or are identified by the peer's uid (a socket).
    public var isTCP: Bool {
        if case .http = self { return true }
        return false
    }
}

/// An endpoint argument that is not one of the understood forms.
public struct AdminEndpointError: Error, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "\(text): \(reason)" }
}
