import AsyncHTTPClient
import ClusterModel
import Foundation
import NIOCore
import Synchronization

/// One daemon's admin endpoint as a live cluster for the dashboard: follows `/v1/stream`
/// (reconnecting with `AttachBackoff`, resuming from the last event id), keeps the newest
/// snapshot with how live it is, and sends operator commands to `POST /v1/commands`, returning
/// the daemon's answer. The daemon keeps running whatever happens here.
///
///     let remote = RemoteCluster(endpoint: try AdminEndpoint(parsing: "unix:/run/user/1000/thrifttop/prod.sock"), http: client)
///     remote.start()
///     remote.feed.link          // .live, .connecting or .unreachable(since:…)
///     await remote.execute(.drain(node: "db-3"))
///     await remote.stop()
public final class RemoteCluster: Sendable {
    public let endpoint: AdminEndpoint
    private let http: HTTPClient
    private let token: String?
    /// What `http` was configured with for https:// (the failures are named by it).
    private let tls: AdminClientTLS
    private let state: Mutex<ClusterFeed>
    private let runner = Mutex<Task<Void, Never>?>(nil)

    /// Idle streams carry a comment every 5 s: this much silence means the daemon is gone
    /// (or hung), even when no TCP reset says so.
    public static let silenceLimit = TimeAmount.seconds(12)

    /// The client settings attach uses: a connect that takes over 2 s is a failure (AsyncHTTPClient
    /// retries a refused connect until then), and `silenceLimit` between reads.
    public static var httpConfiguration: HTTPClient.Configuration {
        HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: silenceLimit))
    }

    /// The same, with `tls` for https:// endpoints (its files read now; an error names the
    /// option and the file).
    public static func httpConfiguration(tls: AdminClientTLS) throws -> HTTPClient.Configuration {
        var configuration = httpConfiguration
        configuration.tlsConfiguration = try tls.configuration()
        return configuration
    }

    /// `tls`: what `http` was configured with (`httpConfiguration(tls:)`), to name what failed.
    public init(endpoint: AdminEndpoint, http: HTTPClient, token: String? = nil, tls: AdminClientTLS = AdminClientTLS()) {
        self.endpoint = endpoint
        self.http = http
        self.token = token
        self.tls = tls
        state = Mutex(ClusterFeed(source: endpoint.description, snapshot: .empty, link: .connecting))
    }

    /// The newest figures and whether they are live.
    public var feed: ClusterFeed { state.withLock { $0 } }

    public func start() {
        runner.withLock { task in
            guard task == nil else { return }
            task = Task { await self.follow() }
        }
    }

    public func stop() async {
        let task = runner.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }

    // MARK: - The stream

    private func follow() async {
        var streamed = StreamedSnapshot()
        var failures = 0
        while !Task.isCancelled {
            let reason: String
            do {
                try await followOnce(&streamed) { failures = 0 }
                reason = "the daemon closed the stream"
            } catch is CancellationError {
                return
            } catch let error as StreamedSnapshot.Malformed {
                streamed = StreamedSnapshot()  // start again from a full snapshot
                reason = error.description
            } catch {
                if Task.isCancelled { return }
                reason = describe(error)
            }
            failures += 1
            let delay = AttachBackoff.delay(afterFailures: failures)
            let now = Date()
            state.withLock { feed in
                var since = now
                if case let .unreachable(was, _, _) = feed.link { since = was }
                feed.link = .unreachable(since: since, reason: reason, retryAt: now.addingTimeInterval(Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18))
            }
            try? await Task.sleep(for: delay)
        }
    }

    /// One connection to `/v1/stream`, until it ends or fails. `connected` runs at the first
    /// byte the daemon sends (a snapshot, or the comment that it continues from our id).
    private func followOnce(_ streamed: inout StreamedSnapshot, connected: () -> Void) async throws {
        var request = request("/v1/stream")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let id = streamed.lastEventID, streamed.snapshot != nil { request.headers.add(name: "Last-Event-ID", value: id) }
        let response = try await http.execute(request, deadline: .distantFuture)
        guard response.status == .ok else {
            throw RemoteError.refused(status: response.status.code, detail: try await Self.read(response).error)
        }
        // Who the daemon takes this dashboard for: whose undo history `z` reverts.
        let operatorName = response.headers.first(name: OperatorIdentity.header).map { TextSanitizer.clean($0, maximumLength: 200) }
        var parser = ServerSentEventParser()
        var heard = false
        for try await buffer in response.body {
            let commentsBefore = parser.comments
            let events = try parser.feed(buffer.readableBytesView)
            var changed = false
            for event in events where try streamed.apply(event) { changed = true }
            if !heard, changed || parser.comments != commentsBefore, let snapshot = streamed.snapshot {
                heard = true
                connected()
                state.withLock { feed in
                    feed.snapshot = snapshot
                    feed.link = .live
                    feed.operatorName = operatorName
                }
            } else if changed, let snapshot = streamed.snapshot {
                state.withLock { $0.snapshot = snapshot }
            }
        }
    }

    // MARK: - Commands

    /// Sends `command` to the daemon; its answer (done, or refused and why), or why it could
    /// not be asked.
    public func execute(_ command: OperatorCommand) async -> OperatorResult {
        await execute(OperatorRequest(command))
    }

    /// Sends a request (a command with `force_local` or a reason).
    public func execute(_ request: OperatorRequest) async -> OperatorResult {
        await post("/v1/commands", body: Self.body(of: request))
    }

    /// Asks the daemon to re-read its cluster file (`POST /v1/reload`, as SIGHUP does).
    public func reload() async -> OperatorResult {
        await post("/v1/reload", body: Data())
    }

    /// 200 is done with the answer's `message`, 409 refused with its `reason`; anything else is
    /// refused naming the status and the daemon's `error`.
    private func post(_ path: String, body: Data) async -> OperatorResult {
        var request = request(path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: .seconds(10))
            let (answer, error) = try await Self.read(response)
            switch response.status.code {
            case 200: return .done(answer["message"] as? String ?? "done")
            case 409: return .refused(answer["reason"] as? String ?? "refused by the daemon")
            default: return .refused(RemoteError.refused(status: response.status.code, detail: error).description)
            }
        } catch {
            return .refused("the daemon at \(endpoint) did not answer: \(describe(error))")
        }
    }

    /// The admin API's body form (`OperatorRequest`'s JSON): `{"command": "drain", "node": "db-3", "force": false}`.
    static func body(of request: OperatorRequest) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(request)) ?? Data()
    }

    // MARK: - Helpers

    private func request(_ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint.url(path))
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return request
    }

    /// The daemon's JSON answer (up to 1 MB), and what it says went wrong: its `error`, or the
    /// body itself when that is not the API's JSON.
    private static func read(_ response: HTTPClientResponse) async throws -> (answer: [String: Any], error: String) {
        let body = try await response.body.collect(upTo: 1 << 20)
        let answer = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        return (answer, answer["error"] as? String ?? String(decoding: body.readableBytesView, as: UTF8.self))
    }

    /// Asks the daemon's `/healthz` once, for what no retry fixes: the daemon's certificate not
    /// trusted, TLS on one side only, a token it refuses (401, 403). That, naming the endpoint;
    /// nil when it answered, or failed in a way that may pass (not running yet). `attach` stops
    /// on it before the screen.
    public func configurationProblem() async -> String? {
        guard endpoint.isTCP else { return nil }
        do {
            let response = try await http.execute(request("/healthz"), timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 1 << 16)
            let text = String(decoding: body.readableBytesView, as: UTF8.self)
            if response.status == .badRequest, text.contains("speaks TLS") {
                return "\(endpoint): the daemon's admin endpoint speaks TLS: plain http:// is likely a mismatch (attach https://…)"
            }
            // /healthz takes no token: the snapshot does, so it tells whether ours is good.
            let snapshot = try await http.execute(request("/v1/snapshot"), timeout: .seconds(5))
            if snapshot.status.code == 401 || snapshot.status.code == 403 {
                let (_, detail) = try await Self.read(snapshot)
                return "\(endpoint): the daemon refused the token of --token-file (\(snapshot.status.code): \(TextSanitizer.clean(detail, maximumLength: 200)))"
            }
            // Read to the end, so the connection goes back to the pool rather than hanging open.
            for try await _ in snapshot.body {}
            return nil
        } catch {
            return tls.lastingProblem(error).map { "\(endpoint): \($0)" }
        }
    }

    /// A connection failure in an operator's words.
    func describe(_ error: any Error) -> String {
        if let problem = tls.problem(error) { return problem }
        return Self.describe(error)
    }

    /// The same for failures TLS has no part in.
    static func describe(_ error: any Error) -> String {
        if let error = error as? RemoteError { return error.description }
        if let error = error as? ServerSentEventParser.TooLarge { return error.description }
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout: return "no data for \(silenceLimit.nanoseconds / 1_000_000_000) s (the daemon sends a keep-alive every 5 s)"
            case .connectTimeout: return "connect timed out"
            case .remoteConnectionClosed: return "the daemon closed the connection"
            default: return "\(error)"
            }
        }
        let text = "\(error)"
        if text.contains("Connection refused") || text.contains("connection refused") { return "connection refused" }
        if text.contains("No such file") { return "no socket there (the daemon is not running)" }
        return text
    }
}

/// Why the daemon would not serve a request, in its own words (401 without a valid token, 403
/// for a read-only token acting, …).
enum RemoteError: Error, CustomStringConvertible {
    case refused(status: UInt, detail: String)

    var description: String {
        switch self {
        case let .refused(401, detail): "the daemon wants a valid token (401: \(detail)); give --token-file"
        case let .refused(status, detail): "the daemon answered \(status): \(detail)"
        }
    }
}
