import AsyncHTTPClient
import EtcdClient
import EtcdHarness
import Foundation
import NIOCore
import Testing

/// EtcdClient against a real etcd 3.4 (one per test, from EtcdHarness): reads and writes,
/// transactions, watches, a dead or hung store, failover, and auth.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct EtcdClientTests {
    // MARK: - Endpoints and prefixes

    @Test func endpointsAreReadStrictlyWithErrorsNamingTheText() throws {
        #expect(try EtcdEndpoint(parsing: "http://127.0.0.1:2379").url == "http://127.0.0.1:2379")
        #expect(try EtcdEndpoint(parsing: "http://etcd-1.internal:2379/").url == "http://etcd-1.internal:2379")
        #expect(try EtcdEndpoint(parsing: "http://[::1]:2379").url == "http://[::1]:2379")
        #expect(try EtcdEndpoint(parsing: "https://127.0.0.1:2379").isTLS)
        let problems = ["ftp://127.0.0.1:2379", "127.0.0.1:2379", "http://127.0.0.1", "http://h:2379/v3", "etcd"].map { text in
            do {
                _ = try EtcdEndpoint(parsing: text)
                return "\(text) was accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(problems[0].contains("\"ftp://127.0.0.1:2379\""))
        #expect(problems[1].contains("\"127.0.0.1:2379\""))
        #expect(problems[2].contains("no port"))
        #expect(problems[3].contains("\"http://h:2379/v3\""))
        #expect(problems[4].contains("\"etcd\""))
    }

    @Test func prefixEndIsTheLastByteIncrementedWithCarry() {
        #expect(EtcdClient.prefixEnd("/thrifttop/prod/") == "/thrifttop/prod0")
        #expect(EtcdClient.prefixEnd("a") == "b")
        #expect(EtcdClient.prefixEnd("é") == "ê")  // C3 A9 → C3 AA
        #expect(EtcdClient.prefixEnd("") == "\0")
    }

    // MARK: - Keys and values

    @Test func putGetRangeKeysAndCountRoundTripBinaryAndUnicode() async throws {
        let etcd = try await EtcdServer.start(name: "kv")
        try await withClient([etcd.endpoint]) { client in
            let binary: [UInt8] = [0, 1, 0x0a, 0x0d, 0x1b, 0x7f, 0x80, 0xfe, 0xff]
            let unicode = Array("drained by Zoë ✓ 日本 🚦".utf8)
            let first = try await client.put("/t/bin", binary)
            let second = try await client.put("/t/ключ-✓", unicode)
            try await client.put("/t0", [1])        // the next prefix up: outside "/t/"
            try await client.put("/tx/other", [2])  // a longer sibling: outside too
            #expect(second == first + 1)

            let got = try #require(try await client.get("/t/bin"))
            #expect(got == EtcdKeyValue(key: "/t/bin", value: binary, createRevision: first, modRevision: first, version: 1))
            #expect(try await client.get("/t/missing") == nil)

            let range = try await client.range(prefix: "/t/")
            #expect(range.revision == second + 2)
            #expect(range.kvs.map(\.key) == ["/t/bin", "/t/ключ-✓"])
            #expect(range.kvs.map(\.value) == [binary, unicode])

            try await client.put("/t/bin", [])
            let rewritten = try #require(try await client.get("/t/bin"))
            #expect(rewritten.value.isEmpty && rewritten.version == 2 && rewritten.createRevision == first)

            #expect(try await client.keys(prefix: "/t/", limit: 0, ascending: true) == ["/t/bin", "/t/ключ-✓"])
            #expect(try await client.keys(prefix: "/t/", limit: 1, ascending: false) == ["/t/ключ-✓"])
            #expect(try await client.count(prefix: "/t/") == 2)
            #expect(try await client.count(prefix: "/none/") == 0)
            #expect(try await client.range(prefix: "/none/").kvs.isEmpty)
            #expect(try await client.count(prefix: "") == 4)
            #expect(try await client.status() == rewritten.modRevision)
        }
    }

    // MARK: - Transactions

    @Test func noneModifiedSinceHoldsUntilAKeyUnderThePrefixIsWritten() async throws {
        let etcd = try await EtcdServer.start(name: "txn")
        try await withClient([etcd.endpoint]) { client in
            try await client.put("/p/a", Array("1".utf8))
            let read = try await client.range(prefix: "/p/")
            try await client.put("/q/outside", [1])  // a later write outside the prefix does not matter

            let decided = try await client.txn(if: [.noneModifiedSince(prefix: "/p/", revision: read.revision)],
                                               then: [.put(key: "/p/b", value: Array("2".utf8))])
            #expect(decided.succeeded)
            #expect(decided.revision == read.revision + 2)

            // Decided on the old read again: /p/b changed since, so the else branch runs.
            let stale = try await client.txn(if: [.noneModifiedSince(prefix: "/p/", revision: read.revision)],
                                             then: [.put(key: "/p/c", value: [3])], else: [.put(key: "/p/refused", value: [4])])
            #expect(!stale.succeeded)
            #expect(try await client.get("/p/c") == nil)
            #expect(try await client.get("/p/refused") != nil)

            // An empty prefix holds; so does the prefix as of its newest revision.
            #expect(try await client.txn(if: [.noneModifiedSince(prefix: "/empty/", revision: 1)], then: []).succeeded)
            #expect(try await client.txn(if: [.noneModifiedSince(prefix: "/p/", revision: stale.revision)], then: []).succeeded)
        }
    }

    @Test func modRevisionZeroCreatesOnlyIfAbsentAndDeletesCount() async throws {
        let etcd = try await EtcdServer.start(name: "create")
        try await withClient([etcd.endpoint]) { client in
            let create = { (value: UInt8) in
                try await client.txn(if: [.modRevision(key: "/c/lock", equals: 0)], then: [.put(key: "/c/lock", value: [value])])
            }
            #expect(try await create(1).succeeded)
            #expect(try await create(2).succeeded == false)
            let held = try #require(try await client.get("/c/lock"))
            #expect(held.value == [1])

            // Unchanged since read: holds at its mod revision, and the delete makes it absent again.
            let deleted = try await client.txn(if: [.modRevision(key: "/c/lock", equals: held.modRevision)], then: [.delete(key: "/c/lock")])
            #expect(deleted.succeeded)
            #expect(try await create(3).succeeded)

            try await client.put("/c/x/1", [1])
            try await client.put("/c/x/2", [2])
            _ = try await client.txn(if: [], then: [.deleteRange(from: "/c/x/", to: EtcdClient.prefixEnd("/c/x/"))])
            #expect(try await client.count(prefix: "/c/") == 1)
        }
    }

    // MARK: - Watches

    @Test func watchSeesPutsAndDeletesInOrderFromARevision() async throws {
        let etcd = try await EtcdServer.start(name: "watch")
        try await withClient([etcd.endpoint]) { client in
            try await client.put("/w/before", [0])
            let start = try await client.range(prefix: "/w/").revision + 1
            let watch = WatchRecorder(client.watch(prefix: "/w/", from: start))
            let a = try await client.put("/w/a", [1])
            try await client.put("/elsewhere", [9])
            let b = try await client.put("/w/b", Array("ü".utf8))
            let gone = try await client.txn(if: [], then: [.delete(key: "/w/a")]).revision

            let events = await watch.events(3)
            #expect(events.count == 3)
            #expect(events.map(\.key) == ["/w/a", "/w/b", "/w/a"])
            guard events.count == 3 else { return await watch.cancel() }
            #expect(events[0] == .put(EtcdKeyValue(key: "/w/a", value: [1], createRevision: a, modRevision: a, version: 1)))
            #expect(events[1] == .put(EtcdKeyValue(key: "/w/b", value: Array("ü".utf8), createRevision: b, modRevision: b, version: 1)))
            #expect(events[2] == .delete(key: "/w/a", modRevision: gone))
            #expect(watch.now.batches.last?.revision == gone)
            #expect(watch.now.batches.allSatisfy { !$0.events.isEmpty })  // the "created" answer is not a batch
            #expect(watch.now.error == nil)
            await watch.cancel()
        }
    }

    @Test func watchFromAnOldRevisionReplaysHistory() async throws {
        let etcd = try await EtcdServer.start(name: "replay")
        try await withClient([etcd.endpoint]) { client in
            var revisions: [Int64] = []
            for index in 0..<5 { revisions.append(try await client.put("/h/\(index % 2)", [UInt8(index)])) }
            let watch = WatchRecorder(client.watch(prefix: "/h/", from: revisions[1]))
            let events = await watch.events(4)
            #expect(events.map(\.key) == ["/h/1", "/h/0", "/h/1", "/h/0"])
            if case let .put(kv) = events.last { #expect(kv.value == [4] && kv.version == 3) }
            #expect(watch.now.batches.last?.revision == revisions[4])

            // …and goes on live after the history.
            let live = try await client.put("/h/live", [5])
            #expect(await watch.events(5).last?.key == "/h/live")
            #expect(watch.now.batches.last?.revision == live)
            await watch.cancel()
        }
    }

    @Test func watchReplaysLargeValuesSplitAcrossReads() async throws {
        let etcd = try await EtcdServer.start(name: "large")
        try await withClient([etcd.endpoint]) { client in
            let values = (0..<12).map { index in (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) } }
            var first: Int64 = 0
            for (index, value) in values.enumerated() {
                let revision = try await client.put("/big/\(index)", value)
                if index == 0 { first = revision }
            }
            let watch = WatchRecorder(client.watch(prefix: "/big/", from: first))
            let events = await watch.events(values.count)
            #expect(events.count == values.count)
            #expect(events.map { if case let .put(kv) = $0 { kv.value } else { [] } } == values)
            await watch.cancel()
        }
    }

    @Test func progressNotificationsAreEmptyBatchesAtTheStoreRevision() async throws {
        let etcd = try await EtcdServer.start(name: "progress", arguments: ["--experimental-watch-progress-notify-interval", "300ms"])
        try await withClient([etcd.endpoint]) { client in
            let revision = try await client.put("/elsewhere", [1])
            let watch = WatchRecorder(client.watch(prefix: "/quiet/", from: revision + 1))
            #expect(await watch.wait(seconds: 5) { !$0.batches.isEmpty })
            #expect(watch.now.batches.first == EtcdWatchBatch(revision: revision, events: []))
            await watch.cancel()
        }
    }

    @Test func watchFromACompactedRevisionThrowsCompacted() async throws {
        let etcd = try await EtcdServer.start(name: "compact")
        try await withClient([etcd.endpoint]) { client in
            for index in 0..<4 { try await client.put("/k/\(index)", [UInt8(index)]) }
            let newest = try await client.status()
            try await client.compact(revision: newest)

            let watch = WatchRecorder(client.watch(prefix: "/k/", from: 2))
            #expect(await watch.wait(seconds: 5) { $0.endedAt != nil })
            #expect(watch.now.error as? EtcdError == .compacted(compactRevision: newest))
            #expect(watch.now.events.isEmpty)

            // Compacting again to the same revision is etcd's error, with its message.
            let again = await etcdError { try await client.compact(revision: newest) }
            #expect(again.map { "\($0)".contains("compacted") && "\($0)".contains(etcd.endpoint) } == true)
        }
    }

    // MARK: - A dead or hung store

    @Test func killedEtcdEndsTheWatchPromptlyAndRequestsNameTheEndpoint() async throws {
        let etcd = try await EtcdServer.start(name: "killed")
        try await withClient([etcd.endpoint]) { client in
            let watch = WatchRecorder(client.watch(prefix: "/d/", from: 1, silenceLimit: .seconds(15)))
            try await client.put("/d/a", [1])
            #expect(await watch.events(1).count == 1)

            let killedAt = ContinuousClock.now
            await etcd.kill()
            #expect(await watch.wait(seconds: 5) { $0.endedAt != nil })
            let ended = try #require(watch.now.endedAt)
            #expect(ended - killedAt < .seconds(5))
            guard case let .unreachable(why)? = watch.now.error as? EtcdError else {
                Issue.record("the watch ended with \(String(describing: watch.now.error)), not .unreachable")
                return
            }
            #expect(why.contains(etcd.endpoint))

            let failed = await etcdError { try await client.get("/d/a") }
            guard case let .unreachable(text)? = failed else {
                Issue.record("a get from a killed etcd gave \(String(describing: failed))")
                return
            }
            #expect(text.contains(etcd.endpoint) && text.contains("connection refused") && text.contains("\"/d/a\""))
        }
    }

    @Test func pausedEtcdEndsTheWatchWithinTheSilenceLimitButAQuietOneLives() async throws {
        let etcd = try await EtcdServer.start(name: "paused")
        try await withClient([etcd.endpoint], requestTimeout: .seconds(1)) { client in
            let watch = WatchRecorder(client.watch(prefix: "/s/", from: 1, silenceLimit: .seconds(2)))
            // Quiet for twice the silence limit: the status probes keep it alive.
            try await Task.sleep(for: .seconds(4))
            #expect(watch.now.endedAt == nil)
            try await client.put("/s/a", [1])
            #expect(await watch.events(1).count == 1)

            let pausedAt = ContinuousClock.now
            etcd.pause()
            defer { etcd.resume() }
            #expect(await watch.wait(seconds: 6) { $0.endedAt != nil })
            let ended = try #require(watch.now.endedAt)
            #expect(ended - pausedAt < .seconds(4))
            #expect(ended - pausedAt > .seconds(1))
            guard case let .unreachable(why)? = watch.now.error as? EtcdError else {
                Issue.record("the watch ended with \(String(describing: watch.now.error)), not .unreachable")
                return
            }
            #expect(why.contains(etcd.endpoint) && why.contains("silent"))

            let failed = await etcdError { try await client.count(prefix: "/s/") }
            guard case let .unreachable(text)? = failed else {
                Issue.record("a request to a paused etcd gave \(String(describing: failed))")
                return
            }
            #expect(text.contains(etcd.endpoint) && text.contains("timed out after 1 s"))

            // A write that may have reached the hung etcd is not resent: its outcome is unknown.
            let write = await etcdError { try await client.txn(if: [], then: [.put(key: "/s/b", value: [2])]) }
            #expect(write.map { "\($0)".contains("unknown") } == true)
        }
    }

    @Test func requestsAndWatchesFailOverFromADeadFirstEndpoint() async throws {
        let etcd = try await EtcdServer.start(name: "failover")
        let dead = try deadEndpoint()
        try await withClient([dead, etcd.endpoint]) { client in
            let started = ContinuousClock.now
            let revision = try await client.put("/f/a", [1])
            #expect(try await client.get("/f/a")?.modRevision == revision)
            #expect(ContinuousClock.now - started < .seconds(2))  // a refused connect fails at once

            let watch = WatchRecorder(client.watch(prefix: "/f/", from: revision))
            #expect(await watch.events(1).map(\.key) == ["/f/a"])
            await watch.cancel()
        }

        // Both dead: the error names each endpoint and why.
        await etcd.kill()
        try await withClient([dead, etcd.endpoint]) { client in
            let failed = await etcdError { try await client.status() }
            guard case let .unreachable(text)? = failed else {
                Issue.record("two dead endpoints gave \(String(describing: failed))")
                return
            }
            #expect(text.contains("\(dead): connection refused") && text.contains("\(etcd.endpoint): connection refused"))
        }
    }

    // MARK: - Auth

    @Test func authRightCredentialsWorkForRequestsAndWatches() async throws {
        let etcd = try await EtcdServer.start(name: "auth")
        try await etcd.enableAuth(user: "tt", password: "s3cret", prefix: "/thrifttop/")
        try await withClient([etcd.endpoint], credentials: EtcdCredentials(username: "tt", password: "s3cret")) { client in
            try await client.authenticate()
            let watch = WatchRecorder(client.watch(prefix: "/thrifttop/", from: 1))
            let revision = try await client.put("/thrifttop/prod/node/db-1", Array("{}".utf8))
            #expect(try await client.get("/thrifttop/prod/node/db-1")?.modRevision == revision)
            #expect(try await client.txn(if: [.modRevision(key: "/thrifttop/x", equals: 0)], then: [.put(key: "/thrifttop/x", value: [1])]).succeeded)
            #expect(await watch.events(2).count == 2)
            await watch.cancel()
        }
        // Written as root by etcdctl, read back by the user: the same store.
        try await etcd.etcdctl(["put", "/thrifttop/by-root", "r"])
        try await withClient([etcd.endpoint], credentials: EtcdCredentials(username: "tt", password: "s3cret")) { client in
            let value = try await client.get("/thrifttop/by-root")?.value
            #expect(value == Array("r".utf8))
        }
    }

    @Test func wrongPasswordIsAuthenticationFailedNamingTheUser() async throws {
        let etcd = try await EtcdServer.start(name: "wrongpw")
        try await etcd.enableAuth(user: "tt", password: "s3cret", prefix: "/thrifttop/")
        try await withClient([etcd.endpoint], credentials: EtcdCredentials(username: "tt", password: "wrong")) { client in
            let explicit = await etcdError { try await client.authenticate() }
            guard case let .authenticationFailed(user, text)? = explicit else {
                Issue.record("a wrong password gave \(String(describing: explicit))")
                return
            }
            #expect(user == "tt")
            #expect(text == "etcd at \(etcd.endpoint) refused user \"tt\": authentication failed, invalid user ID or password")
            // The first request authenticates lazily and fails the same way.
            let lazy = await etcdError { try await client.range(prefix: "/thrifttop/") }
            #expect(lazy == explicit)
        }
        // No user at all on an etcd with auth on: refused, saying a user is needed.
        try await withClient([etcd.endpoint]) { client in
            let anonymous = await etcdError { try await client.get("/thrifttop/a") }
            guard case let .permissionDenied(text)? = anonymous else {
                Issue.record("no user gave \(String(describing: anonymous))")
                return
            }
            #expect(text.contains("no user was given") && text.contains(etcd.endpoint))
        }
    }

    @Test func userWithoutPermissionOnAPrefixIsPermissionDenied() async throws {
        let etcd = try await EtcdServer.start(name: "denied")
        try await etcd.enableAuth(user: "tt", password: "s3cret", prefix: "/thrifttop/")
        try await withClient([etcd.endpoint], credentials: EtcdCredentials(username: "tt", password: "s3cret")) { client in
            let read = await etcdError { try await client.range(prefix: "/other/") }
            #expect(read == .permissionDenied("etcd at \(etcd.endpoint) denied user \"tt\" reading the prefix \"/other/\": permission denied"))
            let write = await etcdError { try await client.put("/other/x", [1]) }
            #expect(write.map { "\($0)".contains("\"/other/x\"") && "\($0)".contains("\"tt\"") } == true)

            let watch = WatchRecorder(client.watch(prefix: "/other/", from: 1))
            #expect(await watch.wait(seconds: 5) { $0.endedAt != nil })
            guard case let .permissionDenied(text)? = watch.now.error as? EtcdError else {
                Issue.record("a watch without permission ended with \(String(describing: watch.now.error))")
                return
            }
            #expect(text.contains("\"tt\"") && text.contains("watching \"/other/\""))
        }
    }

    /// etcd 3.4 replays the authentications in its log at a restart, so simple tokens survive
    /// one; they expire after `--auth-token-ttl` seconds unused (5 min by default), which is how a
    /// quiet instance loses its token.
    @Test func aTokenEtcdNoLongerKnowsIsRenewedByItself() async throws {
        let etcd = try await EtcdServer.start(name: "token", arguments: ["--auth-token-ttl", "1"])
        try await etcd.enableAuth(user: "tt", password: "s3cret", prefix: "/thrifttop/")
        try await withClient([etcd.endpoint], credentials: EtcdCredentials(username: "tt", password: "s3cret")) { client in
            try await client.put("/thrifttop/a", [1])
            try await etcd.restart()
            try await client.put("/thrifttop/b", [2])

            // The premise: a token unused for longer than its TTL is refused.
            let token = try await rawToken(etcd.endpoint)
            try await Task.sleep(for: .milliseconds(2500))
            let refused = try await rawRange(etcd.endpoint, token: token)
            #expect(refused.contains("invalid auth token"), "\(refused)")

            let revision = try await client.put("/thrifttop/c", [3])
            #expect(try await client.count(prefix: "/thrifttop/") == 3)

            // A watch created with an expired token renews it too, and misses nothing.
            try await Task.sleep(for: .milliseconds(2500))
            let watch = WatchRecorder(client.watch(prefix: "/thrifttop/", from: revision))
            #expect(await watch.events(1).map(\.key) == ["/thrifttop/c"])
            await watch.cancel()
        }
    }

    // MARK: - Raw gateway calls (the premise of the token test)

    private func rawToken(_ endpoint: String) async throws -> String {
        let answer = try await rawPost(endpoint, "/v3/auth/authenticate", #"{"name":"tt","password":"s3cret"}"#)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any])
        return try #require(object["token"] as? String)
    }

    private func rawRange(_ endpoint: String, token: String) async throws -> String {
        try await rawPost(endpoint, "/v3/kv/range", #"{"key":"L3RocmlmdHRvcC9h"}"#, token: token)
    }

    private func rawPost(_ endpoint: String, _ path: String, _ body: String, token: String? = nil) async throws -> String {
        try await HTTPClient.withHTTPClient { http in
            var request = HTTPClientRequest(url: endpoint + path)
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: body))
            if let token { request.headers.add(name: "Authorization", value: token) }
            let response = try await http.execute(request, timeout: .seconds(5))
            return String(buffer: try await response.body.collect(upTo: 1 << 20))
        }
    }
}
