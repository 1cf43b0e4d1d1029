import ClusterModel

/// Where a replay (`thrifttop replay` on a terminal) is in its recording and how it moves: the
/// recorded moment shown, the speed, playing or paused, and the marks of the timeline. Keys
/// change it (`Dashboard.handle`); the run loop advances it with the wall clock and shows the
/// recording at `at`. A value, so every move is testable without a clock.
public struct ReplayPlayback: Sendable, Equatable {
    /// The first and last recorded moments.
    public var start: Double
    public var end: Double
    /// The recorded moment on screen.
    public private(set) var at: Double
    /// Recorded seconds a wall second: 1, 4 or 16.
    public private(set) var speed = 1
    public var paused = false
    /// A move that needs the recording's frame times, waiting for the loop (`settle`).
    public var pending: Seek?

    /// Moves that go by recorded frames rather than by seconds.
    public enum Seek: Sendable, Equatable {
        /// To the first frame at or after a mark: the first that shows it (an event comes
        /// between two frames).
        case reveal(Double)
        /// To the next or the previous frame.
        case step(forward: Bool)
    }
    /// The mark last jumped to (an index of `marks`) while the replay stays there: the next
    /// jump goes on from it, not from the frame that showed it.
    public private(set) var lastMark: Int?
    /// State changes and operator actions, oldest first: the timeline's marks and where `'`
    /// and `"` jump.
    public var marks: [ReplayMark]

    public static let speeds = [1, 4, 16]

    public init(start: Double, end: Double, at: Double? = nil, marks: [ReplayMark] = []) {
        self.start = start
        self.end = max(start, end)
        self.at = start
        self.marks = marks
        move(to: at ?? start)
    }

    /// Moves to `time`, within the recording.
    public mutating func move(to time: Double) {
        at = min(max(time, start), end)
        lastMark = nil
    }

    /// Shows the frame at `time` that reveals the mark jumped to (keeping the mark, so the next
    /// jump goes on from it).
    public mutating func reveal(frame time: Double) {
        at = min(max(time, start), end)
    }

    /// The loop's part of a move by frames: done with the recording's frame times (a step
    /// past the first or last frame stays).
    public mutating func settle(with source: any ReplaySource) {
        guard let seek = pending else { return }
        pending = nil
        switch seek {
        case let .reveal(time):
            if let frame = source.frameTime(atOrAfter: time) { reveal(frame: frame) }
        case .step(forward: true):
            if let frame = source.frameTime(atOrAfter: at + 0.001) { move(to: frame) }
        case .step(forward: false):
            if let frame = source.frameTime(before: at) { move(to: frame) }
        }
    }

    /// Moves by `seconds` of recorded time (a step is a second: a recording's frame).
    public mutating func move(by seconds: Double) { move(to: at + seconds) }

    /// The next speed: ×1, ×4, ×16, then ×1 again.
    public mutating func nextSpeed() {
        speed = Self.speeds[((Self.speeds.firstIndex(of: speed) ?? 0) + 1) % Self.speeds.count]
    }

    /// Playing: `wallSeconds` later at the current speed. At the end it stops, paused, so the
    /// last moment stays on screen.
    public mutating func advance(wallSeconds: Double) {
        guard !paused, wallSeconds > 0, at < end else { return }
        move(to: at + wallSeconds * Double(speed))
        if at >= end { paused = true }
    }

    /// Jumps to the next mark (or the previous one, `forward` false) of `node` when given, else
    /// of any node: on from the mark last jumped to while the replay stays there, else from the
    /// moment shown. Pauses there; nil (and no move) when there is none.
    public mutating func jump(forward: Bool, node: String?) -> ReplayMark? {
        let candidates = marks.indices.filter { node == nil || marks[$0].node == node }
        let found: Int? = if let lastMark {
            forward ? candidates.first { $0 > lastMark } : candidates.last { $0 < lastMark }
        } else {
            forward ? candidates.first { marks[$0].time > at } : candidates.last { marks[$0].time < at }
        }
        guard let found else { return nil }
        move(to: marks[found].time)
        lastMark = found
        pending = .reveal(marks[found].time)
        paused = true
        return marks[found]
    }

    /// A moment typed by the operator (`:goto`, `--at`): RFC 3339, a UTC clock time
    /// HH:MM[:SS] on the recording's days (the first day, or the next when that is before the
    /// start), or +SECONDS from the start. Nil: not a time.
    public static func time(_ text: String, start: Double) -> Double? {
        let text = text.trimmed
        if text.hasPrefix("+"), let seconds = Double(text.dropFirst()), seconds.isFinite { return start + seconds }
        if let time = RFC3339.unixSeconds(from: text) { return time }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard (2...3).contains(parts.count), parts.allSatisfy({ $0 != nil }) else { return nil }
        let (hours, minutes, seconds) = (parts[0]!, parts[1]!, parts.count == 3 ? parts[2]! : 0)
        guard (0..<24).contains(hours), (0..<60).contains(minutes), (0..<60).contains(seconds) else { return nil }
        let day = (start / 86_400).rounded(.down) * 86_400
        let time = day + Double(hours * 3600 + minutes * 60 + seconds)
        return time < start.rounded(.down) ? time + 86_400 : time
    }
}

/// A moment the timeline marks: a node's state changed, or an operator acted.
public struct ReplayMark: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case stateChange, operatorAction }
    public var time: Double
    public var node: String?
    public var kind: Kind
    public var message: String

    public init(time: Double, node: String?, kind: Kind, message: String) {
        self.time = time
        self.node = node
        self.kind = kind
        self.message = message
    }

    /// The marks among `events`: state changes and operator actions, oldest first.
    public static func from(_ events: [PoolEvent]) -> [ReplayMark] {
        events.compactMap { event in
            switch event.kind {
            case .stateChange: ReplayMark(time: event.time, node: event.node, kind: .stateChange, message: event.message)
            case .operatorAction: ReplayMark(time: event.time, node: event.node, kind: .operatorAction, message: event.message)
            default: nil
            }
        }.sorted { $0.time < $1.time }
    }
}

extension ReplayPlayback {
    /// Longer than this between the moment shown and its frame is a stretch with nothing
    /// recorded (frames are a second apart): the screen says so.
    public static let gapSeconds = 3.0
}

/// What a replay shows: the recorded cluster at a moment. The run loop asks it for the moment
/// the playback is at, many times a second while playing, so an implementation keeps its place.
public protocol ReplaySource: AnyObject {
    /// The cluster as recorded at `time` (its clock set to `time`) and the time of the frame
    /// it is from (the last at or before `time`); nil before the first frame.
    func snapshot(at time: Double) -> (snapshot: ClusterSnapshot, frameTime: Double)?
    /// The first frame's time at or after `time`; nil past the last.
    func frameTime(atOrAfter time: Double) -> Double?
    /// The last frame's time before `time`; nil before the first.
    func frameTime(before time: Double) -> Double?
    /// Where the recording is damaged, said once, for the status row; nil when whole.
    var damage: String? { get }
}
