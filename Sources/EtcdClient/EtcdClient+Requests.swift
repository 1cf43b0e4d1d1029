import AsyncHTTPClient
import ClusterModel
import Foundation
import NIOCore
import TLSSupport

/// Why one endpoint gave no answer to one request.
struct EndpointFailure: Error {
    var reason: String
    /// Whether the request may have reached etcd, so that a write's outcome is unknown.
    var maybeDelivered: Bool
    /// A TLS failure (`TLSFailure`): a configuration to fix, not an outage.
    var isTLS = false
}

/// What one round over the endpoints met, each failure named with its endpoint, and what they
/// add up to when none answered.
struct EndpointFailures {
    private var reasons: [String] = []
    private var tls = 0

    mutating func add(_ failure: EndpointFailure, at endpoint: EtcdEndpoint) {
        reasons.append("\(endpoint): \(failure.reason)")
        if failure.isTLS { tls += 1 }
    }

    var text: String { reasons.joined(separator: "; ") }

    /// A TLS failure is a configuration to fix (and stops a start) only when every one of the
    /// `endpoints` failed for TLS; beside endpoints merely down it is one reason of an outage,
    /// named in `unreachable`'s text.
    func error(endpoints: Int, subject: String, unreachable: String) -> EtcdError {
        if tls > 0 && tls == endpoints { return .tls("TLS to etcd failed \(subject): \(text)") }
        return .unreachable("\(unreachable): \(text)")
    }
}

/// etcd does not know the token sent (or wants one): authenticate again and repeat the request.
struct TokenRefused: Error {}

/// etcd has auth off; credentials are not needed.
struct AuthenticationNotEnabled: Error {}

extension EtcdClient {
    // MARK: - Auth

    /// Trades the credentials for a token now (the first request does it otherwise), so that
    /// wrong credentials show at start. Does nothing without credentials.
    public func authenticate() async throws {
        guard let credentials else { return }
        let body = EtcdJSON.encode(["name": credentials.username, "password": credentials.password])
        do {
            let token = try await send("/v3/auth/authenticate", body, token: nil, subject: "authenticating", idempotent: true) { answer in
                guard let token = answer["token"] as? String, !token.isEmpty else {
                    throw EtcdJSON.Unexpected(detail: "an authentication answer without a token")
                }
                return token
            }
            state.withLock { $0.token = .token(token) }
        } catch is AuthenticationNotEnabled {
            state.withLock { $0.token = .notRequired }
        }
    }

    /// The token to send: nil without credentials or while etcd has auth off.
    func currentToken() async throws -> String? {
        guard credentials != nil else { return nil }
        if state.withLock({ $0.token }) == .unknown { try await authenticate() }
        if case let .token(token) = state.withLock({ $0.token }) { return token }
        return nil
    }

    /// Forgets the token etcd refused, unless another request already replaced it.
    func forget(_ token: String?) {
        state.withLock { session in
            if session.token == (token.map(Token.token) ?? .notRequired) { session.token = .unknown }
        }
    }

    // MARK: - Requests

    /// Sends one unary request (with the token, taking a new one once if etcd refuses it) and
    /// decodes the answer. `subject` says what the request does, for errors ("reading the key
    /// "/a""); `idempotent` false means never resent once it may have reached etcd.
    func call<T>(_ path: String, _ body: [String: Any], subject: String, idempotent: Bool = true,
                 decode: ([String: Any]) throws -> T) async throws -> T {
        let data = EtcdJSON.encode(body)
        let token = try await currentToken()
        do {
            return try await send(path, data, token: token, subject: subject, idempotent: idempotent, decode: decode)
        } catch is TokenRefused {
            forget(token)
            let renewed = try await currentToken()
            do {
                return try await send(path, data, token: renewed, subject: subject, idempotent: idempotent, decode: decode)
            } catch is TokenRefused {
                throw EtcdError.server("etcd refused a fresh token for user \(EtcdText.quoted(credentials?.username ?? "")) \(subject)")
            }
        }
    }

    /// Tries the endpoints from the preferred one on, until one answers.
    func send<T>(_ path: String, _ body: Data, token: String?, subject: String, idempotent: Bool,
                 decode: ([String: Any]) throws -> T) async throws -> T {
        var failures = EndpointFailures()
        for index in endpointOrder() {
            let endpoint = endpoints[index]
            do {
                let (status, bytes) = try await exchange(endpoint, path, body, token: token)
                let answer = try interpret(status: status, bytes: bytes.readableBytesView, from: endpoint, path: path, subject: subject)
                state.withLock { $0.preferred = index }
                do {
                    return try decode(answer)
                } catch let unexpected as EtcdJSON.Unexpected {
                    throw EtcdError.malformed("etcd at \(endpoint) answered \(path) with \(EtcdText.clean(unexpected.detail))")
                }
            } catch let failure as EndpointFailure {
                failures.add(failure, at: endpoint)
                if failure.maybeDelivered && !idempotent {
                    throw EtcdError.unreachable("etcd did not answer \(subject) (\(failures.text)); \(EtcdError.outcomeUnknownSuffix)")
                }
            }
        }
        throw failures.error(endpoints: endpoints.count, subject: subject, unreachable: "no etcd endpoint answered \(subject)")
    }

    /// Endpoint indexes, the preferred one first, then the others in their order.
    func endpointOrder() -> [Int] {
        let first = state.withLock { $0.preferred }
        return (0..<endpoints.count).map { (first + $0) % endpoints.count }
    }

    /// One POST to one endpoint: the status and the whole body, or why there was none.
    private func exchange(_ endpoint: EtcdEndpoint, _ path: String, _ body: Data, token: String?) async throws -> (UInt, ByteBuffer) {
        var request = request(endpoint, path, token: token)
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: requestTimeout)
            return (response.status.code, try await response.body.collect(upTo: Self.maximumAnswer))
        } catch is NIOTooManyBytesError {
            throw EtcdError.malformed("etcd at \(endpoint) answered \(path) with more than \(Self.maximumAnswer >> 20) MiB")
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw await failure(error, at: endpoint, timeout: requestTimeout)
        }
    }

    func request(_ endpoint: EtcdEndpoint, _ path: String, token: String?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint.url + path)
        if endpoint.isTLS { request.tlsConfiguration = tls.configuration }
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: token) }
        return request
    }

    // MARK: - Answers and failures

    /// The answer as JSON when it is a success; otherwise the error it stands for.
    func interpret(status: UInt, bytes: some Sequence<UInt8>, from endpoint: EtcdEndpoint, path: String, subject: String) throws -> [String: Any] {
        let answer: [String: Any]
        do {
            answer = try EtcdJSON.object(bytes)
        } catch {
            let text = EtcdText.clean(String(decoding: Array(bytes.prefix(200)), as: UTF8.self))
            throw EtcdError.malformed("etcd at \(endpoint) answered \(path) with HTTP \(status): \(text)")
        }
        if let (message, code) = EtcdJSON.failure(answer) {
            throw refusal(message: message, code: code, from: endpoint, subject: subject)
        }
        guard status == 200 else {
            throw EtcdError.malformed("etcd at \(endpoint) answered \(path) with HTTP \(status) and no error")
        }
        return answer
    }

    /// What an error answer from etcd (message and gRPC code) means here.
    func refusal(message: String, code: Int, from endpoint: EtcdEndpoint, subject: String) -> any Error {
        let text = EtcdText.clean(message.hasPrefix("etcdserver: ") ? String(message.dropFirst(12)) : message)
        let user = credentials.map { "user \(EtcdText.quoted($0.username))" }
        if code == 16 || text.contains("user name is empty") {
            // A token etcd forgot, or auth turned on since: a new token helps if we have credentials.
            if credentials != nil { return TokenRefused() }
            if code != 16 {
                return EtcdError.permissionDenied("etcd at \(endpoint) has auth enabled and no user was given for \(subject): set a username and a password file")
            }
        }
        switch code {
        case 3 where text.contains("authentication failed"):
            let name = credentials?.username ?? ""
            return EtcdError.authenticationFailed(user: name, "etcd at \(endpoint) refused user \(EtcdText.quoted(name)): \(text)")
        case 9 where text.contains("authentication is not enabled"):
            return AuthenticationNotEnabled()
        case 7:
            return EtcdError.permissionDenied("etcd at \(endpoint) denied \(user ?? "the client (no user)") \(subject): \(text)")
        case 14:
            // No leader, or a timeout inside etcd: this member cannot serve now, another may.
            return EndpointFailure(reason: "unavailable: \(text)", maybeDelivered: true)
        default:
            return EtcdError.server("etcd at \(endpoint) refused \(subject): \(text) (code \(code))")
        }
    }

    /// A transport error at `endpoint` in an operator's words: a TLS failure explained (seeing
    /// etcd's certificate again when that tells more), an http:// endpoint that closes at once
    /// checked for TLS, anything else as `failure(_:timeout:)` says.
    func failure(_ error: any Error, at endpoint: EtcdEndpoint, timeout: TimeAmount) async -> EndpointFailure {
        let tls = self.tls
        if endpoint.isTLS, let trouble = TLSFailure(error) {
            var certificate: PeerCertificate?
            if trouble.wantsPeerCertificate,
               let peer = await PeerCertificateProbe.fetch(endpoint, tls: tls.configuration, group: http.eventLoopGroup, timeout: timeout) {
                certificate = PeerCertificate(peer)
            }
            let reason = trouble.describe(endpoint, tls: tls, certificate: certificate, now: Date().timeIntervalSince1970)
            return EndpointFailure(reason: reason, maybeDelivered: false, isTLS: true)
        }
        let plain = Self.failure(error, timeout: timeout)
        // A plain etcd answers a TLS hello with a 400 and closes: the client sees the close, or a
        // reset when the hello was still unread (both seen on a busy machine).
        let closed = plain.reason == Self.closedReason || plain.reason == Self.resetReason
        if endpoint.isTLS, TLSFailure.closedDuringHandshake(error) || closed, await answersPlainHTTP(endpoint, timeout: timeout) {
            let reason = TLSFailure.plaintextServer.describe(endpoint, tls: tls, certificate: nil, now: 0)
            return EndpointFailure(reason: reason, maybeDelivered: false, isTLS: true)
        }
        // A TLS etcd closes a plain connection without a word; a dead one refuses it.
        if !endpoint.isTLS, closed,
           await PeerCertificateProbe.fetch(endpoint, tls: EtcdTLS.clientConfiguration(), group: http.eventLoopGroup, timeout: timeout) != nil {
            return EndpointFailure(reason: TLSFailure.describeTLSServer(endpoint), maybeDelivered: false, isTLS: true)
        }
        return plain
    }

    /// Whether the host and port of an `https://` endpoint answer a status request in plain HTTP.
    private func answersPlainHTTP(_ endpoint: EtcdEndpoint, timeout: TimeAmount) async -> Bool {
        let plain = "http://" + endpoint.url.dropFirst("https://".count)
        var request = HTTPClientRequest(url: plain + "/v3/maintenance/status")
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: "{}"))
        guard let response = try? await http.execute(request, timeout: timeout) else { return false }
        _ = try? await response.body.collect(upTo: Self.maximumAnswer)
        return true
    }

    static let closedReason = "closed the connection"
    static let resetReason = "connection reset"

    /// A transport error in an operator's words, and whether the request may have reached etcd.
    static func failure(_ error: any Error, timeout: TimeAmount) -> EndpointFailure {
        let seconds = EtcdText.seconds(timeout)
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return EndpointFailure(reason: "connect timed out", maybeDelivered: false)
            case .getConnectionFromPoolTimeout: return EndpointFailure(reason: "no connection within \(seconds) s", maybeDelivered: false)
            case .deadlineExceeded: return EndpointFailure(reason: "timed out after \(seconds) s", maybeDelivered: true)
            case .readTimeout: return EndpointFailure(reason: "timed out reading the answer", maybeDelivered: true)
            case .remoteConnectionClosed: return EndpointFailure(reason: closedReason, maybeDelivered: true)
            default: break
            }
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return EndpointFailure(reason: "connect timed out", maybeDelivered: false)
        }
        let text = "\(error)"
        // NIOPosix's NIOConnectionError (every address failed to connect) by its name, not to
        // depend on NIOPosix for one type.
        if String(reflecting: type(of: error)).hasSuffix("NIOConnectionError") || text.contains("Connection refused") {
            let reason = text.contains("Connection refused") ? "connection refused" : "could not connect (\(EtcdText.clean(text)))"
            return EndpointFailure(reason: reason, maybeDelivered: false)
        }
        if text.contains("Connection reset") { return EndpointFailure(reason: resetReason, maybeDelivered: true) }
        // NIOHTTP1's invalidEOFState: the peer closed (or died) in the middle of an answer.
        if text.contains("stream ended at an unexpected time") {
            return EndpointFailure(reason: "the connection closed in the middle of an answer", maybeDelivered: true)
        }
        return EndpointFailure(reason: EtcdText.clean(text), maybeDelivered: true)
    }
}
