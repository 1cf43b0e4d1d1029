import NIOConcurrencyHelpers
import NIOCore

/// The pool's alert bookkeeping, owned by `PoolCore` on its loop: which nodes count as routable
/// for the floor, the throttle, the runs waiting for a slot and the ones under way. Outcomes
/// come back through `finished`, the one part other threads touch, and are taken on the loop.
struct AlertState {
    /// What an alert is about: a node by name, the cluster (the floor), or a method's error rate.
    enum Subject: Hashable, Sendable {
        case node(String)
        case cluster
        case method(String)
    }

    /// A run waiting for a free slot.
    struct Waiting: Sendable {
        var subject: Subject
        var payload: AlertPayload
        /// Where the cluster's snapshot at the alert was written (`[alerts] snapshot_dir`).
        var snapshotPath: String? = nil
    }

    /// At most this many commands run at once; more wait, in order.
    static let maxConcurrentRuns = 4
    /// Beyond this many waiting runs, new ones are dropped (and that is said once).
    static let maxWaitingRuns = 1000

    private(set) var settings: AlertSettings
    var launcher: any AlertLauncher = ProcessAlertLauncher()
    var throttle: AlertThrottle<Subject>
    var floor: CapacityFloorWatch
    /// Per node: routable as the floor last counted it.
    var routable: [Bool]
    var waiting: [Waiting] = []
    /// The methods over `method_error_rate` now, by name.
    var failingMethods: Set<String> = []
    var running = 0
    var dropping = false
    /// Writes each alert's snapshot (`snapshot_dir`) off the loop; nil: none asked for.
    private(set) var snapshots: AlertSnapshotWriter?
    /// The last snapshot written for alerts: alerts within a second share it, so a storm of
    /// them costs one snapshot a second.
    var lastSnapshot: (at: NIODeadline, path: String)?
    /// Runs waiting for their snapshot to be written (they count as waiting).
    var writingSnapshots = 0
    var wakeUp: Scheduled<Void>?
    var wakeUpAt: NIODeadline?
    /// Outcomes posted from the launcher's threads, taken by the pool's maintenance pass.
    let finished = NIOLockedValueBox<[(Waiting, AlertOutcome)]>([])

    init(settings: AlertSettings, minRoutable: Int, nodeCount: Int) {
        self.settings = settings
        snapshots = Self.writer(settings)
        throttle = AlertThrottle(minInterval: settings.minInterval)
        floor = CapacityFloorWatch(minRoutable: minRoutable)
        routable = Array(repeating: false, count: nodeCount)
    }

    /// A reload: the per-node flags follow their nodes to their new places (`oldIndices[i]`:
    /// where node i was, nil for a new one, which starts not routable); new alert settings or a
    /// new floor take effect, the floor counting from what is routable now. Returns the crossing
    /// of the floor that removing routable nodes made, if any.
    mutating func reload(settings new: AlertSettings, minRoutable: Int, oldIndices: [Int?]) -> CapacityFloorWatch.Crossing? {
        let before = routable
        routable = oldIndices.map { $0.map { before[$0] } ?? false }
        // Held changes and the last runs' times stay unless the interval itself changed.
        if new.minInterval != settings.minInterval { throttle = AlertThrottle(minInterval: new.minInterval) }
        if new.snapshotDirectory != settings.snapshotDirectory || new.snapshotKeep != settings.snapshotKeep {
            snapshots = Self.writer(new)
            lastSnapshot = nil  // the next alert writes its own file with the new writer
        }
        settings = new
        let count = routable.filter { $0 }.count
        guard minRoutable == floor.minRoutable else {
            floor = CapacityFloorWatch(minRoutable: minRoutable)
            _ = floor.update(by: count)
            return nil
        }
        return floor.update(by: count - floor.count)
    }
}

extension AlertState {
    static func writer(_ settings: AlertSettings) -> AlertSnapshotWriter? {
        settings.snapshotDirectory.map { AlertSnapshotWriter(directory: $0, keep: settings.snapshotKeep) }
    }
}

/// What a node alert is sent for: every health change except a node's first verdict being a
/// serving one (a pool starting would otherwise run the command once per node).
extension HealthTransition {
    var isAlerted: Bool { from != .unknown || to == .down }
}
