import AsyncHTTPClient
import NIOCore
import Synchronization

extension EtcdClient {
    /// Events under `prefix` from `startRevision` on (inclusive), as etcd sends them: a batch per
    /// etcd response, oldest first, and an empty batch for a progress notification. The stream
    /// ends only by throwing (or when its consumer stops): `.compacted` when that history is gone,
    /// `.permissionDenied` when the user may not read the prefix, `.unreachable` when no endpoint
    /// takes the watch, the connection drops, or etcd stays silent for `silenceLimit`.
    ///
    /// Silence: etcd sends progress notifications only every 10 minutes by default, so while the
    /// stream is quiet the watch asks the same endpoint for its status every `silenceLimit / 3`;
    /// an answer counts as life. A hung etcd (SIGSTOP) answers neither and ends the stream after
    /// about `silenceLimit`.
    ///
    /// To follow a prefix without missing a change: `range(prefix:)`, then watch from its
    /// revision + 1; after an error watch again from the last batch's revision + 1 (or read the
    /// whole prefix again after `.compacted`).
    public func watch(prefix: String, from startRevision: Int64, silenceLimit: TimeAmount = .seconds(15)) -> AsyncThrowingStream<EtcdWatchBatch, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: EtcdWatchBatch.self)
        let task = Task {
            do {
                try await follow(prefix: prefix, from: startRevision, silenceLimit: silenceLimit, into: continuation)
            } catch {
                continuation.finish(throwing: Task.isCancelled ? nil : error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Watches until something ends it; a token etcd no longer knows is renewed once per
    /// watch created, and the watch taken up again where it was.
    private func follow(prefix: String, from startRevision: Int64, silenceLimit: TimeAmount,
                        into continuation: AsyncThrowingStream<EtcdWatchBatch, any Error>.Continuation) async throws {
        let progress = WatchProgress(next: startRevision)
        var renewed = false
        while true {
            let token = try await currentToken()
            do {
                try await watchOnce(prefix: prefix, token: token, silenceLimit: silenceLimit, progress: progress, into: continuation)
            } catch is TokenRefused {
                // Once per watch created: the same refusal again means the new token is refused too.
                let createdSince = progress.takeCreated()
                guard !renewed || createdSince else {
                    throw EtcdError.server("etcd refused a fresh token for user \(EtcdText.quoted(credentials?.username ?? "")) watching \(EtcdText.quoted(prefix))")
                }
                renewed = true
                forget(token)
            }
        }
    }

    /// One watch request on the first endpoint that takes it, read until it ends (by a throw).
    private func watchOnce(prefix: String, token: String?, silenceLimit: TimeAmount, progress: WatchProgress,
                           into continuation: AsyncThrowingStream<EtcdWatchBatch, any Error>.Continuation) async throws {
        let subject = "watching \(EtcdText.quoted(prefix))"
        var create = EtcdJSON.prefixRange(prefix)
        create["start_revision"] = String(progress.next)
        create["progress_notify"] = true
        let body = EtcdJSON.encode(["create_request": create])

        var failures = EndpointFailures()
        for index in endpointOrder() {
            let endpoint = endpoints[index]
            var request = request(endpoint, "/v3/watch", token: token)
            request.body = .bytes(ByteBuffer(bytes: body))
            let response: HTTPClientResponse
            do {
                response = try await firstAnswer(to: request, from: endpoint)
            } catch let failure as EndpointFailure {
                failures.add(failure, at: endpoint)
                continue
            }
            state.withLock { $0.preferred = index }
            guard response.status == .ok else {
                do {
                    let bytes = try await response.body.collect(upTo: Self.maximumAnswer)
                    _ = try interpret(status: response.status.code, bytes: bytes.readableBytesView, from: endpoint, path: "/v3/watch", subject: subject)
                } catch let failure as EndpointFailure {
                    failures.add(failure, at: endpoint)
                    continue
                }
                throw EtcdError.malformed("etcd at \(endpoint) answered /v3/watch with HTTP \(response.status.code)")
            }
            progress.heard()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await self.read(response.body, from: endpoint, subject: subject, progress: progress, into: continuation)
                }
                group.addTask {
                    try await self.guardSilence(of: endpoint, limit: silenceLimit, subject: subject, progress: progress)
                }
                // Both only end by throwing; the first error ends the other.
                defer { group.cancelAll() }
                _ = try await group.next()
            }
            return
        }
        throw failures.error(endpoints: endpoints.count, subject: subject, unreachable: "no etcd endpoint took the watch of \(EtcdText.quoted(prefix))")
    }

    /// The response head within `requestTimeout`; the body may then stream for ever.
    private func firstAnswer(to request: HTTPClientRequest, from endpoint: EtcdEndpoint) async throws -> HTTPClientResponse {
        let timeout = requestTimeout
        let http = http
        do {
            return try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
                group.addTask { try await http.execute(request, deadline: .distantFuture) }
                group.addTask {
                    try await Task.sleep(nanoseconds: UInt64(timeout.nanoseconds))
                    return nil
                }
                defer { group.cancelAll() }
                guard let response = try await group.next() ?? nil else {
                    throw EndpointFailure(reason: "no answer within \(EtcdText.seconds(timeout)) s", maybeDelivered: true)
                }
                return response
            }
        } catch let failure as EndpointFailure {
            throw failure
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw await failure(error, at: endpoint, timeout: timeout)
        }
    }

    /// Reads the stream's lines (one JSON object each) and yields their batches.
    private func read(_ body: HTTPClientResponse.Body, from endpoint: EtcdEndpoint, subject: String, progress: WatchProgress,
                      into continuation: AsyncThrowingStream<EtcdWatchBatch, any Error>.Continuation) async throws {
        var lines = LineSplitter(limit: Self.maximumAnswer)
        do {
            for try await buffer in body {
                progress.heard()
                for line in try lines.feed(buffer.readableBytesView) {
                    let response: EtcdWatchResponse
                    do {
                        response = try EtcdJSON.watchResponse(try EtcdJSON.object(line))
                    } catch let unexpected as EtcdJSON.Unexpected {
                        throw EtcdError.malformed("etcd at \(endpoint) sent, \(subject), \(EtcdText.clean(unexpected.detail))")
                    }
                    switch response {
                    case .created:
                        progress.created()
                    case let .batch(batch):
                        progress.delivered(batch.revision)
                        continuation.yield(batch)
                    case let .canceled(compactRevision, _) where compactRevision > 0:
                        throw EtcdError.compacted(compactRevision: compactRevision)
                    case let .canceled(_, reason):
                        throw canceled(reason: reason, from: endpoint, subject: subject)
                    case let .failed(message, code):
                        let error = refusal(message: message, code: code, from: endpoint, subject: subject)
                        if let failure = error as? EndpointFailure { throw EtcdError.unreachable("etcd at \(endpoint) broke off \(subject): \(failure.reason)") }
                        throw error
                    }
                }
            }
        } catch is LineSplitter.TooLong {
            throw EtcdError.malformed("etcd at \(endpoint) sent, \(subject), a line over \(Self.maximumAnswer >> 20) MiB")
        } catch let error where !(error is EtcdError || error is TokenRefused || error is CancellationError) {
            if Task.isCancelled { throw CancellationError() }
            throw EtcdError.unreachable("etcd at \(endpoint) broke off \(subject): \(Self.failure(error, timeout: requestTimeout).reason)")
        }
        throw EtcdError.unreachable("etcd at \(endpoint) closed the connection \(subject)")
    }

    /// A refusal in a cancel line: "rpc error: code = PermissionDenied desc = etcdserver: permission denied".
    private func canceled(reason: String, from endpoint: EtcdEndpoint, subject: String) -> any Error {
        let codes = ["InvalidArgument": 3, "FailedPrecondition": 9, "PermissionDenied": 7, "Unavailable": 14, "Unauthenticated": 16]
        guard reason.hasPrefix("rpc error: code = "), let separator = reason.range(of: " desc = ") else {
            return EtcdError.server("etcd at \(endpoint) ended \(subject): \(EtcdText.clean(reason.isEmpty ? "no reason given" : reason))")
        }
        let name = String(reason[reason.index(reason.startIndex, offsetBy: 18)..<separator.lowerBound])
        let error = refusal(message: String(reason[separator.upperBound...]), code: codes[name] ?? 2, from: endpoint, subject: subject)
        if let failure = error as? EndpointFailure { return EtcdError.unreachable("etcd at \(endpoint) ended \(subject): \(failure.reason)") }
        return error
    }

    /// Throws `.unreachable` once neither the stream nor a status request to the same endpoint
    /// has shown life for `limit`.
    private func guardSilence(of endpoint: EtcdEndpoint, limit: TimeAmount, subject: String, progress: WatchProgress) async throws {
        let interval = TimeAmount.nanoseconds(max(limit.nanoseconds / 3, 10_000_000))
        while true {
            try await Task.sleep(nanoseconds: UInt64(interval.nanoseconds))
            guard progress.silence >= interval else { continue }
            let answered = await probe(endpoint, timeout: max(limit - progress.silence, interval))
            if answered {
                progress.heard()
            } else if progress.silence >= limit {
                throw EtcdError.unreachable("etcd at \(endpoint) went silent \(subject): nothing for \(EtcdText.seconds(limit)) s, and no answer to a status request")
            }
        }
    }

    /// Whether the endpoint answers a status request (any HTTP answer) within `timeout`.
    private func probe(_ endpoint: EtcdEndpoint, timeout: TimeAmount) async -> Bool {
        var request = request(endpoint, "/v3/maintenance/status", token: nil)
        request.body = .bytes(ByteBuffer(string: "{}"))
        guard let response = try? await http.execute(request, timeout: timeout) else { return false }
        _ = try? await response.body.collect(upTo: Self.maximumAnswer)
        return true
    }
}

/// What one watch has seen, shared by its reader, its silence guard and its reconnects.
final class WatchProgress: Sendable {
    private struct Seen {
        var next: Int64
        var heard = NIODeadline.now()
        var created = false
    }

    private let seen: Mutex<Seen>

    init(next: Int64) { seen = Mutex(Seen(next: next)) }

    /// The revision to watch from if the watch has to be created again.
    var next: Int64 { seen.withLock { $0.next } }

    /// How long since the last sign of life.
    var silence: TimeAmount { NIODeadline.now() - seen.withLock { $0.heard } }

    func heard() { seen.withLock { $0.heard = .now() } }

    func delivered(_ revision: Int64) { seen.withLock { $0.next = max($0.next, revision + 1) } }

    func created() { seen.withLock { $0.created = true } }

    /// Whether a watch was created since the last call: a token refused after that is a new
    /// refusal (a renewal is due), not the same one again.
    func takeCreated() -> Bool {
        seen.withLock { seen in
            defer { seen.created = false }
            return seen.created
        }
    }
}

/// Splits a byte stream into lines (without the "\n"), skipping blank ones; a line longer than
/// `limit` is an error rather than unbounded memory.
struct LineSplitter {
    struct TooLong: Error {}

    let limit: Int
    private var pending: [UInt8] = []

    init(limit: Int) { self.limit = limit }

    mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var rest = bytes[...]
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            pending += rest[..<newline]
            guard pending.count <= limit else { throw TooLong() }
            if pending.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) { lines.append(pending) }
            pending.removeAll(keepingCapacity: true)
            rest = rest[rest.index(after: newline)...]
        }
        guard pending.count + rest.count <= limit else { throw TooLong() }
        pending += rest
        return lines
    }
}
