import ClusterModel
import ClusterPool
import EtcdClient
import NIOCore

/// The operator state of a cluster shared by every thrifttop instance on one etcd prefix. It
/// decides each command against the shared state inside an etcd transaction (so two instances
/// cannot both break the capacity floor), follows the prefix with a watch (a drain made anywhere
/// applies here within the watch's delay), and keeps routing on the last state it knew while
/// etcd is unreachable — refusing actions then, but for those made here only on purpose, which
/// it writes back when etcd returns unless someone changed that node since.
///
///     let authority = try await EtcdOperatorAuthority.connect(pool: pool, client: client, settings: settings)
///     try await pool.start()
///     await authority.begin(startWithoutState: false)
public actor EtcdOperatorAuthority: OperatorAuthority {
    public struct Settings: Sendable {
        public var keys: SharedKeys
        /// How the dashboard names the store: endpoints and prefix.
        public var location: String
        /// This instance's cache of the shared state (`state_file`); nil: none.
        public var cacheFile: String?
        /// A watch that hears nothing this long asks etcd whether it still answers (a hung
        /// store is found so; the watch itself is quiet while nothing changes).
        public var silenceLimit: TimeAmount = .seconds(3)
        /// The longest wait between reconnection attempts.
        public var maxRetryDelay: TimeAmount = .seconds(2)

        public init(keys: SharedKeys, location: String, cacheFile: String?) {
            self.keys = keys
            self.location = location
            self.cacheFile = cacheFile
        }
    }

    /// What stops an instance from starting: etcd answered, and said no.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    let pool: ClusterPool
    let client: EtcdClient
    let settings: Settings
    let instance: String
    let wallClock: @Sendable () -> Double
    var view: SharedView
    /// The first read, made before the pool started; nil when etcd could not be reached.
    var initialRead: EtcdRange?
    /// `begin` ran: commands are decided here from then on.
    var begun = false
    var stopped = false
    var everRead = false
    /// Since when etcd cannot be reached, and why (since nil: it can).
    var outage = Outage()
    var routingHeld = true
    var notice: String?
    /// Actions made here only while etcd was unreachable, per node, to write back.
    var pending = LocalChanges()
    var history = UndoHistory<SharedRevert>()
    var follower: Task<Void, Never>?
    var watchTask: Task<Void, any Error>?
    /// While set, no new watch starts (see `dropWatch`).
    var heldWatch: Task<Void, Never>?
    /// The cache writer at work, if any, and whether the state changed since it took its copy.
    var cacheWriter = CacheWriter()
    var counts = WriteCounts()

    init(pool: ClusterPool, client: EtcdClient, settings: Settings, wallClock: @escaping @Sendable () -> Double) {
        self.pool = pool
        self.client = client
        self.settings = settings
        self.wallClock = wallClock
        instance = pool.instanceName
        view = SharedView(keys: settings.keys)
    }

    /// Checks the credentials and reads the shared state once, with the pool's routing held so
    /// that no call goes anywhere before the drains are known; takes over the pool's commands
    /// (refused until `begin`). Wrong credentials, a user without access to the prefix or a TLS
    /// failure stop the start here (`StartError`); an unreachable etcd does not (`begin` falls
    /// back on the cache).
    public static func connect(pool: ClusterPool, client: EtcdClient, settings: Settings,
                               wallClock: @escaping @Sendable () -> Double = { PoolOptions.unixTime() }) async throws -> EtcdOperatorAuthority {
        let authority = EtcdOperatorAuthority(pool: pool, client: client, settings: settings, wallClock: wallClock)
        await pool.holdRouting("the shared state is being read from etcd (\(settings.location))")
        pool.install(authority)
        do {
            try await client.authenticate()
            await authority.took(initialRead: try await client.range(prefix: settings.keys.prefix))
        } catch let error as EtcdError {
            switch error {
            case .authenticationFailed, .permissionDenied, .tls:
                pool.removeAuthority()
                throw StartError(description: "etcd (\(settings.location)): \(error)")
            default:
                await authority.markUnreachable(error.description)
            }
        }
        return authority
    }

    private func took(initialRead range: EtcdRange) { initialRead = range }

    /// After the pool started: takes what was read (or the cache, or — with
    /// `startWithoutState` — nothing, loudly), and follows the store from then on. Routing
    /// starts once a read made after the pool started is in force, so that a drain made
    /// meanwhile is not missed; if etcd goes away first, on the first read.
    public func begin(startWithoutState: Bool) async {
        begun = true
        if let range = initialRead {
            initialRead = nil
            _ = view.replace(with: range, announcing: false)
            everRead = true
            await pool.adoptShared(poolState())
            let drained = view.entries.values.filter(\.record.drained).count
            let weighted = view.entries.values.filter { $0.record.weight != nil }.count
            pool.logEvent(.info, .config, "shared state read from etcd (\(settings.location)) at revision \(view.revision): \(drained) drained, \(weighted) weight(s) set")
        } else {
            await startUnread(startWithoutState: startWithoutState)
        }
        await publishStatus()
        follower = Task { await self.followLoop() }
    }

    /// etcd was unreachable at start: the cache, else no routing (unless told to route anyway).
    private func startUnread(startWithoutState: Bool) async {
        let reason = outage.reason ?? "unreachable"
        var cache: SharedStateCache?
        if let file = settings.cacheFile {
            do {
                cache = try SharedStateCache.read(file)
            } catch {
                pool.logEvent(.error, .config, "\(error)")
            }
        }
        if let cache, let file = settings.cacheFile {
            view = SharedView(keys: settings.keys, cache: cache)
            pending = cache.pending ?? LocalChanges()
            await pool.adoptShared(poolState())
            notice = "started from the local cache \(file) written \(cache.written) (etcd revision \(cache.revision)): etcd was unreachable"
            pool.logEvent(.warning, .config, "etcd unreachable at start (\(reason)): routing on the last shared state this instance saw, \(file) written \(cache.written)"
                + (pending.isEmpty ? "" : ", with \(pending.count) action(s) made here only still to write back") + "; resyncing when etcd is back")
            await releaseRouting()
        } else if startWithoutState {
            notice = "started WITHOUT the shared state (--start-without-state): no node counts as drained until etcd is read"
            pool.logEvent(.error, .config, "etcd unreachable at start (\(reason)) and no local cache: routing WITHOUT the shared state, as --start-without-state asks; drains made elsewhere are not known until etcd is read")
            await releaseRouting()
        } else {
            let held = "the shared state was never read (etcd unreachable: \(reason)) and there is no local cache\(settings.cacheFile.map { " (\($0))" } ?? " (no state_file)"); start with --start-without-state to route anyway"
            await pool.holdRouting(held)
            pool.logEvent(.error, .config, "not routing: \(held)")
        }
    }

    private func releaseRouting() async {
        guard routingHeld else { return }
        routingHeld = false
        await pool.holdRouting(nil)
    }

    /// Stops following the store and hands the pool's commands back to it, once the last cache
    /// write is on disk.
    public func stop() async {
        stopped = true
        follower?.cancel()
        watchTask?.cancel()
        heldWatch?.cancel()
        await follower?.value
        pool.removeAuthority()
        await cacheWriter.task?.value
    }

    // MARK: following the store

    /// Reads the whole prefix, then follows it. A watch that drops while etcd still answers is
    /// resumed from the last revision seen (no change missed); one whose history etcd compacted
    /// meanwhile, or an outage, takes a full read again. Every other failure waits before the
    /// next try (0.25 s doubling to `maxRetryDelay`), so nothing spins.
    private func followLoop() async {
        var delay = TimeAmount.milliseconds(250)
        var fullRead = true
        while !Task.isCancelled && !stopped {
            var watching = false
            do {
                if fullRead || outage.since != nil {
                    try await resync()
                    fullRead = false
                    delay = .milliseconds(250)
                }
                watching = true
                try await follow()
            } catch let EtcdError.compacted(revision) {
                pool.logEvent(.notice, .config, "etcd compacted its history (at revision \(revision)) past what this instance had seen (\(view.revision)); re-reading the whole shared state")
                fullRead = true
            } catch is WatchDropped where outage.since == nil {
                continue
            } catch {
                if Task.isCancelled || stopped { return }
                fullRead = true
                // The watch's connection went, but etcd answers: read again, no outage to report.
                if watching, (error as? EtcdError)?.isUnreachable == true, (try? await client.status()) != nil { continue }
                if let etcd = error as? EtcdError, !etcd.isUnreachable {
                    // etcd answers but says no (a role revoked, a bad answer): said once, tried again later.
                    if outage.reason != etcd.description { pool.logEvent(.error, .config, "etcd (\(settings.location)): \(etcd)") }
                }
                await markUnreachable(Self.describe(error))
                if routingHeld && everRead { await releaseRouting() }
                try? await Task.sleep(nanoseconds: UInt64(delay.nanoseconds))
                delay = min(delay * 2, settings.maxRetryDelay)
            }
        }
    }

    /// Thrown when the watch ended without an error: it was dropped (`dropWatch`) or this
    /// instance stopped following.
    struct WatchDropped: Error {}

    private func follow() async throws {
        await heldWatch?.value
        // `stop` may have come while a resync was finishing: a watch started now would be one
        // it never cancels, and `stop` would wait on it for ever.
        guard !stopped, !Task.isCancelled else { throw CancellationError() }
        let stream = client.watch(prefix: settings.keys.prefix, from: view.revision + 1, silenceLimit: settings.silenceLimit)
        // Its own task, so that `dropWatch` can end it without ending the follower; cancelling
        // the follower ends it too.
        let task = Task {
            for try await batch in stream { await self.take(batch) }
        }
        watchTask = task
        try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
        throw WatchDropped()
    }

    /// Drops the watch as a failing connection would, and holds the next one back until
    /// `resume` ends: how a test puts this instance behind the store (a compaction meanwhile).
    func dropWatch(until resume: Task<Void, Never>) {
        heldWatch = resume
        watchTask?.cancel()
    }

    private func take(_ batch: EtcdWatchBatch) async {
        let applied = view.apply(batch)
        await adopt(applied)
    }

    /// A full read: actions made here while etcd was away are written back first (or shown as
    /// conflicts), then the store's state is the truth again.
    private func resync() async throws {
        try await client.authenticate()
        var range = try await client.range(prefix: settings.keys.prefix)
        if !pending.isEmpty {
            try await writeBack(against: range)
            range = try await client.range(prefix: settings.keys.prefix)
        }
        let applied = view.replace(with: range, announcing: everRead)
        everRead = true
        await adopt(applied, always: true)
        if routingHeld {
            await releaseRouting()
            pool.logEvent(.notice, .config, "shared state read from etcd at revision \(view.revision): routing")
        }
        if let since = outage.since {
            outage.since = nil
            outage.reason = nil
            notice = nil
            let seconds = Int((wallClock() - since).rounded())
            pool.logEvent(.notice, .config, "etcd (\(settings.location)) reachable again after \(seconds) s; resynced at revision \(view.revision)")
        }
        await publishStatus()
        writeCache()
    }

    /// What the pool routes by: the shared state, with the actions made here only on top
    /// until they are written back or lost.
    func poolState() -> [String: SharedNodeState] {
        var state = view.poolState
        for (name, change) in pending.byNode {
            var local = change.record.state
            local.change?.localOnly = true
            state[name] = local
        }
        return state
    }

    /// Changes from the store go into the pool, with who made them (this instance's own
    /// are logged where they are made); bad values are reported.
    func adopt(_ applied: SharedView.Applied, always: Bool = false) async {
        for warning in applied.warnings { pool.logEvent(.warning, .config, warning) }
        for note in applied.notes { pool.logEvent(.notice, .config, note) }
        guard applied.changed || always else { return }
        await pool.adoptShared(poolState(), announcing: applied.announce.filter { $0.value.instance != instance })
        writeCache()
    }

    func markUnreachable(_ reason: String) async {
        outage.reason = reason
        guard outage.since == nil else {
            await publishStatus()
            return
        }
        outage.since = wallClock()
        pool.logEvent(.warning, .config, "etcd (\(settings.location)) unreachable: \(reason); routing goes on with the last shared state known here; operator actions are refused (force_local acts here only)")
        await publishStatus()
    }

    func publishStatus() async {
        let status = StateStoreStatus(kind: "etcd", location: settings.location, unreachableSince: outage.since, reason: outage.reason,
                                      localPending: pending.count, routingHeld: routingHeld, notice: notice)
        await pool.showStateStore(status, undoable: history.undoable)
    }

    /// The cache (`state_file`): the view and the actions still to write back, written off the
    /// actor by one writer at a time. Changes that come while it writes are folded into its
    /// next write (a burst of watch events costs one or two fsyncs, not one each).
    func writeCache() {
        guard settings.cacheFile != nil, everRead || !pending.isEmpty, !stopped else { return }
        cacheWriter.stale = true
        guard cacheWriter.task == nil else { return }
        cacheWriter.task = Task { await self.writeCacheWhileStale() }
    }

    private func writeCacheWhileStale() async {
        while cacheWriter.stale, let file = settings.cacheFile {
            cacheWriter.stale = false
            let cache = SharedStateCache(view: view, pending: pending, written: wallClock())
            let failure = await Task.detached { () -> (any Error)? in
                do {
                    try cache.write(to: file)
                    return nil
                } catch {
                    return error
                }
            }.value
            if let failure { pool.logEvent(.error, .config, "cannot write the shared-state cache \(file): \(failure)") }
        }
        cacheWriter.task = nil
    }

    static func describe(_ error: any Error) -> String {
        (error as? EtcdError)?.description ?? ErrorText.describe(error)
    }
}

extension EtcdOperatorAuthority {
    /// Since when etcd cannot be reached (nil: it can), and the last reason it gave.
    struct Outage {
        var since: Double?
        var reason: String?
    }

    /// The cache file's writer: the task at work, if any, and whether the state changed since it
    /// took its copy.
    struct CacheWriter {
        var task: Task<Void, Never>?
        var stale = false
    }

    /// Writes made (every 20th trims the shared history), and writes whose condition no longer
    /// held because another instance's write came first: the tests' evidence that concurrent
    /// decisions met.
    struct WriteCounts {
        var written = 0
        var conflicts = 0
    }

    var conflicts: Int { counts.conflicts }
}
