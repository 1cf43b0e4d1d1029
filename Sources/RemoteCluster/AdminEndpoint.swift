import Foundation

/// Where a running pool's admin endpoint answers, as `thrifttop attach` is given it:
/// `unix:PATH` (the daemon's Unix socket), `http://HOST:PORT` (loopback TCP, with a token) or
/// `https://HOST:PORT` (TCP over TLS, with a token).
public enum AdminEndpoint: Hashable, Sendable, CustomStringConvertible {
    case unix(path: String)
    case http(host: String, port: Int)
    case https(host: String, port: Int)

    /// Parses `unix:PATH`, a bare absolute path ending in `.sock`, `http://HOST:PORT` or
    /// `https://HOST:PORT`; the error says which forms are understood.
    public init(parsing text: String) throws {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard !path.isEmpty else { throw AdminEndpointError(text: text, reason: "unix: needs a socket path, e.g. unix:/run/user/1000/thrifttop/prod.sock") }
            self = .unix(path: path)
        } else if text.hasPrefix("/"), text.hasSuffix(".sock") {
            self = .unix(path: text)
        } else if let scheme = ["http", "https"].first(where: { text.hasPrefix("\($0)://") }) {
            let rest = text.dropFirst(scheme.count + 3).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1 ... 65535).contains(port) else {
                throw AdminEndpointError(text: text, reason: "\(scheme):// needs HOST:PORT, e.g. \(scheme)://127.0.0.1:9901")
            }
            var host = String(rest[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw AdminEndpointError(text: text, reason: "\(scheme):// needs a host") }
            self = scheme == "https" ? .https(host: host, port: port) : .http(host: host, port: port)
        } else {
            throw AdminEndpointError(text: text, reason: "give unix:PATH, http://HOST:PORT or https://HOST:PORT")
        }
    }

    public var description: String {
        switch self {
        case let .unix(path): "unix:\(path)"
        case let .http(host, port): "http://" + Self.hostPort(host, port)
        case let .https(host, port): "https://" + Self.hostPort(host, port)
        }
    }

    private static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The URL AsyncHTTPClient takes for `path` on this endpoint.
    func url(_ path: String) -> String {
        switch self {
        case let .unix(socket):
            return URL(httpURLWithSocketPath: socket, uri: path)?.absoluteString ?? "http+unix://invalid\(path)"
        case .http, .https:
            return description + path
        }
    }

    /// Whether requests need a bearer token (TCP) or are identified by the peer's uid (a socket).
    public var isTCP: Bool {
        if case .unix = self { return false }
        return true
    }

    /// `https://`: the daemon's certificate is checked (against the system store or `--ca-file`).
    public var isTLS: Bool {
        if case .https = self { return true }
        return false
    }
}

/// An endpoint argument that is not one of the understood forms.
public struct AdminEndpointError: Error, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "\(text): \(reason)" }
}
