import AsyncHTTPClient
import EtcdClient
import EtcdHarness
import Foundation
import NIOCore
import Synchronization
import Testing

/// Runs `body` with a client of `endpoints` on its own HTTPClient (EtcdClient's settings), shut
/// down afterwards whatever happens.
func withClient<T>(_ endpoints: [String], credentials: EtcdCredentials? = nil, requestTimeout: TimeAmount = .seconds(2),
                   _ body: (EtcdClient) async throws -> T) async throws -> T {
    let parsed = try endpoints.map { try EtcdEndpoint(parsing: $0) }
    return try await HTTPClient.withHTTPClient(configuration: EtcdClient.httpConfiguration) { http in
        try await body(EtcdClient(endpoints: parsed, credentials: credentials, http: http, requestTimeout: requestTimeout))
    }
}

/// The EtcdError `work` throws (nil, with an issue recorded, when it throws another error or none).
func etcdError(_ work: () async throws -> some Any, sourceLocation: SourceLocation = #_sourceLocation) async -> EtcdError? {
    do {
        let value = try await work()
        Issue.record("expected an EtcdError, got \(value)", sourceLocation: sourceLocation)
    } catch let error as EtcdError {
        return error
    } catch {
        Issue.record("expected an EtcdError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A port on 127.0.0.1 where nothing listens: bound, read and closed again.
func deadEndpoint() throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    try #require(bound)
    return "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
}

/// Follows a watch stream in its own task and keeps what it saw, so that a test can wait for
/// events or for the end with a deadline.
final class WatchRecorder: Sendable {
    struct Seen {
        var batches: [EtcdWatchBatch] = []
        var error: (any Error)?
        var endedAt: ContinuousClock.Instant?
        var events: [EtcdWatchEvent] { batches.flatMap(\.events) }
    }

    private let seen = Mutex(Seen())
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ stream: AsyncThrowingStream<EtcdWatchBatch, any Error>) {
        let follower = Task { [self] in
            do {
                for try await batch in stream { seen.withLock { $0.batches.append(batch) } }
            } catch {
                seen.withLock { $0.error = error }
            }
            seen.withLock { $0.endedAt = .now }
        }
        task.withLock { $0 = follower }
    }

    var now: Seen { seen.withLock { $0 } }

    /// Whether `condition` held within `seconds` (polled every 10 ms).
    func wait(seconds: Double, until condition: (Seen) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if condition(now) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(now)
    }

    /// Every event so far, once there are `count` of them, the stream ended or `seconds` passed.
    func events(_ count: Int, seconds: Double = 5) async -> [EtcdWatchEvent] {
        _ = await wait(seconds: seconds) { $0.events.count >= count || $0.endedAt != nil }
        return now.events
    }

    func cancel() async {
        let follower = task.withLock { $0 }
        follower?.cancel()
        await follower?.value
    }
}

extension EtcdWatchEvent {
    var key: String {
        switch self {
        case let .put(kv): kv.key
        case let .delete(key, _): key
        }
    }
}
