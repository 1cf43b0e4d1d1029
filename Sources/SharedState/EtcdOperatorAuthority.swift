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
        public var maxRetryDelay: Duration = .seconds(2)

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
    var everRead = false
    var unreachableSince: Double?
    var unreachableReason: String?
    var routingHeld = false
    var notice: String?
    /// Actions made here only while etcd was unreachable, per node, to write back.
    var pending: [String: LocalChange] = [:]
    var pendingOrder: [String] = []
    var undoStack: [SharedUndoEntry] = []
    var tasks: [Task<Void, Never>] = []
    var watchTask: Task<Void, any Error>?
    /// While set, no new watch starts (see `dropWatch`).
    var heldWatch: Task<Void, Never>?
    var cacheWrite: Task<Void, Never>?
    var writes = 0

    init(pool: ClusterPool, client: EtcdClient, settings: Settings, wallClock: @escaping @Sendable () -> Double) {
        self.pool = pool
        self.client = client
        self.settings = settings
        self.wallClock = wallClock
        instance = pool.instanceName
        view = SharedView(keys: settings.keys)
    }

    /// Checks the credentials and reads the shared state once, with the pool's routing held so
    /// that no call goes anywhere before the drains are known. Wrong credentials or a user
    /// without access to the prefix stop the start here (`StartError`); an unreachable etcd
    /// does not (`begin` falls back on the cache).
    public static func connect(pool: ClusterPool, client: EtcdClient, settings: Settings,
                               wallClock: @escaping @Sendable () -> Double = { PoolOptions.unixTime() }) async throws -> EtcdOperatorAuthority {
        let authority = EtcdOperatorAuthority(pool: pool, client: client, settings: settings, wallClock: wallClock)
        await pool.holdRouting("the shared state is being read from etcd (\(settings.location))")
        do {
            try await client.authenticate()
            await authority.took(initialRead: try await client.range(prefix: settings.keys.prefix))
        } catch let error as EtcdError {
            switch error {
            case .authenticationFailed, .permissionDenied:
                throw StartError(description: "etcd (\(settings.location)): \(error)")
            default:
                await authority.markUnreachable(error.description)
            }
        }
        return authority
    }

    private func took(initialRead range: EtcdRange) { initialRead = range }

    /// After the pool started: routes on what was read (or on the cache, or — with
    /// `startWithoutState` — on nothing, loudly), takes over the pool's commands, and follows
    /// the store from then on.
    public func begin(startWithoutState: Bool) async {
        pool.install(self)
        if let range = initialRead {
            initialRead = nil
            _ = view.replace(with: range, announcing: false)
            everRead = true
            await pool.adoptShared(view.poolState)
            let drained = view.entries.values.filter(\.record.drained).count
            let weighted = view.entries.values.filter { $0.record.weight != nil }.count
            pool.logEvent(.info, .config, "shared state read from etcd (\(settings.location)) at revision \(view.revision): \(drained) drained, \(weighted) weight(s) set")
            writeCache()
        } else {
            await startUnread(startWithoutState: startWithoutState)
        }
        if !routingHeld { await pool.holdRouting(nil) }
        await publishStatus()
        tasks.append(Task { await self.followLoop() })
    }

    /// etcd was unreachable at start: the cache, else no routing (unless told to route anyway).
    private func startUnread(startWithoutState: Bool) async {
        let reason = unreachableReason ?? "unreachable"
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
            await pool.adoptShared(view.poolState)
            notice = "started from the local cache \(file) written \(cache.written) (etcd revision \(cache.revision)): etcd was unreachable"
            pool.logEvent(.warning, .config, "etcd unreachable at start (\(reason)): routing on the last shared state this instance saw, \(file) written \(cache.written); resyncing when etcd is back")
        } else if startWithoutState {
            notice = "started WITHOUT the shared state (--start-without-state): no node counts as drained until etcd is read"
            pool.logEvent(.error, .config, "etcd unreachable at start (\(reason)) and no local cache: routing WITHOUT the shared state, as --start-without-state asks; drains made elsewhere are not known until etcd is read")
        } else {
            routingHeld = true
            let held = "the shared state was never read (etcd unreachable: \(reason)) and there is no local cache\(settings.cacheFile.map { " (\($0))" } ?? " (no state_file)"); start with --start-without-state to route anyway"
            await pool.holdRouting(held)
            pool.logEvent(.error, .config, "not routing: \(held)")
        }
    }

    /// Stops following the store and hands the pool's commands back to it.
    public func stop() async {
        for task in tasks { task.cancel() }
        watchTask?.cancel()
        tasks = []
        pool.removeAuthority()
        await cacheWrite?.value
    }

    // MARK: following the store

    /// Reads the whole prefix, then follows it. A watch that drops while etcd still answers is
    /// resumed from the last revision seen (no change missed); one whose history etcd compacted
    /// meanwhile, or an outage, takes a full read again.
    private func followLoop() async {
        var delay = Duration.milliseconds(250)
        var fullRead = true
        while !Task.isCancelled {
            do {
                if fullRead {
                    try await resync()
                    fullRead = false
                    delay = .milliseconds(250)
                }
                try await follow()
            } catch let EtcdError.compacted(revision) {
                pool.logEvent(.notice, .config, "etcd compacted its history (at revision \(revision)) past what this instance had seen (\(view.revision)); re-reading the whole shared state")
                fullRead = true
            } catch is WatchStopped {
                fullRead = true
            } catch {
                if Task.isCancelled { return }
                // Dropped, but etcd answers: resume from the last revision seen.
                if (try? await client.status()) != nil { continue }
                await markUnreachable(Self.describe(error))
                fullRead = true
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, settings.maxRetryDelay)
            }
        }
    }

    /// Thrown when the watch ended because this instance stopped following.
    struct WatchStopped: Error {}
    /// Thrown when the watch was dropped while etcd was still reachable (`dropWatch`).
    struct WatchDropped: Error {}

    private func follow() async throws {
        await heldWatch?.value
        let stream = client.watch(prefix: settings.keys.prefix, from: view.revision + 1, silenceLimit: settings.silenceLimit)
        let task = Task {
            for try await batch in stream { await self.take(batch) }
        }
        watchTask = task
        try await task.value
        if Task.isCancelled { throw WatchStopped() }
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
        await adopt(applied)
        if routingHeld {
            routingHeld = false
            await pool.holdRouting(nil)
            pool.logEvent(.notice, .config, "shared state read from etcd at revision \(view.revision): routing")
        }
        if let since = unreachableSince {
            unreachableSince = nil
            unreachableReason = nil
            notice = nil
            let seconds = Int((wallClock() - since).rounded())
            pool.logEvent(.notice, .config, "etcd (\(settings.location)) reachable again after \(seconds) s; resynced at revision \(view.revision)")
        }
        await publishStatus()
        writeCache()
    }

    /// Changes from the store go into the pool, with who made them; bad values are reported.
    func adopt(_ applied: SharedView.Applied) async {
        for warning in applied.warnings { pool.logEvent(.warning, .config, warning) }
        for note in applied.notes { pool.logEvent(.notice, .config, note) }
        guard applied.changed else { return }
        // Pending actions made here stay in force here until they are written back or lost.
        var state = view.poolState
        for (name, change) in pending { state[name] = change.record.state }
        await pool.adoptShared(state, announcing: applied.announce)
        writeCache()
    }

    func markUnreachable(_ reason: String) async {
        unreachableReason = reason
        guard unreachableSince == nil else {
            await publishStatus()
            return
        }
        unreachableSince = wallClock()
        pool.logEvent(.warning, .config, "etcd (\(settings.location)) unreachable: \(reason); routing goes on with the last shared state known here; operator actions are refused (force_local acts here only)")
        await publishStatus()
    }

    func publishStatus() async {
        let status = StateStoreStatus(kind: "etcd", location: settings.location, unreachableSince: unreachableSince, reason: unreachableReason,
                                      localPending: pending.count, routingHeld: routingHeld, notice: notice)
        await pool.showStateStore(status, undo: undoStack.last(where: { $0.user == pool.defaultUser })?.description)
    }

    func writeCache() {
        guard let file = settings.cacheFile, everRead else { return }
        let cache = SharedStateCache(view: view, written: wallClock())
        let previous = cacheWrite, pool = pool
        cacheWrite = Task.detached {
            await previous?.value
            do {
                try cache.write(to: file)
            } catch {
                pool.logEvent(.error, .config, "cannot write the shared-state cache \(file): \(error)")
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        (error as? EtcdError)?.description ?? ErrorText.describe(error)
    }
}

/// An action `undo` can revert: the node's state before it, and the key's mod revision it made.
struct SharedUndoEntry {
    var user: String
    var node: String
    var description: String
    var before: SharedNodeRecord?
    var modRevision: Int64
}

/// What was done on this instance alone while etcd was unreachable, for one node.
struct LocalChange {
    /// The node key's mod revision when the first such action was made: written back only if
    /// it is still that.
    var base: Int64
    /// The node's state after the last such action.
    var record: SharedNodeRecord
    var actions: [String]
}

extension SharedView {
    /// The view a cache holds (at the cache's revision; mod revisions unknown but for none).
    init(keys: SharedKeys, cache: SharedStateCache) {
        self.init(keys: keys)
        restore(cache)
    }
}
