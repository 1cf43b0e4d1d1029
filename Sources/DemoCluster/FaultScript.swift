import ThriftWire

/// What a demo server does to its replies at one moment: the effective fault state.
public struct FaultState: Sendable, Equatable {
    /// Added to every reply.
    public var latencyMillis: Double = 0
    /// Uniform extra delay in [0, jitter).
    public var jitterMillis: Double = 0
    /// A rare long delay: with probability `tailRate`, `tailMillis` more.
    public var tailMillis: Double = 0
    public var tailRate: Double = 0
    /// Share of calls answered with TApplicationException INTERNAL_ERROR.
    public var errorRate: Double = 0
    public var status: FBStatus = .alive
    public var details: String = ""
    /// Accept and read, never answer.
    public var hang = false
    /// Listener and every connection closed; nothing accepts.
    public var crashed = false
    /// Answer with bytes that are not a Thrift message.
    public var garbage = false
    /// Answer with a frame header announcing an absurd size.
    public var oversizedFrame = false

    public init() {}
}

/// A change to some fields of the fault state. Unset fields leave the state as it was.
public struct FaultChange: Sendable, Equatable {
    public var latencyMillis: Double?
    public var jitterMillis: Double?
    public var tailMillis: Double?
    public var tailRate: Double?
    public var errorRate: Double?
    public var status: FBStatus?
    public var details: String?
    public var hang: Bool?
    public var crashed: Bool?
    public var garbage: Bool?
    public var oversizedFrame: Bool?

    public init() {}

    func apply(to state: inout FaultState) {
        if let latencyMillis { state.latencyMillis = latencyMillis }
        if let jitterMillis { state.jitterMillis = jitterMillis }
        if let tailMillis { state.tailMillis = tailMillis }
        if let tailRate { state.tailRate = tailRate }
        if let errorRate { state.errorRate = errorRate }
        if let status { state.status = status }
        if let details { state.details = details }
        if let hang { state.hang = hang }
        if let crashed { state.crashed = crashed }
        if let garbage { state.garbage = garbage }
        if let oversizedFrame { state.oversizedFrame = oversizedFrame }
    }
}

/// One timed step of a script: `change` holds from `at` for `duration` seconds (forever when nil),
/// and again every `every` seconds after that when set.
///
///     at=20 duration=5 every=40:   [20,25) [60,65) [100,105) ...   (crash + restart after 5 s)
public struct FaultStep: Sendable, Equatable {
    public var at: Double
    public var duration: Double?
    public var every: Double?
    public var change: FaultChange

    public init(at: Double, duration: Double? = nil, every: Double? = nil, change: FaultChange) {
        self.at = at
        self.duration = duration
        self.every = every
        self.change = change
    }

    func isActive(at t: Double) -> Bool {
        guard t >= at else { return false }
        guard let duration else { return true }
        var since = t - at
        if let every, every > 0 {
            since = since.truncatingRemainder(dividingBy: every)
        }
        return since < duration
    }
}

/// A server's faults over time: a base state and steps laid over it, later steps winning.
/// A pure function of elapsed seconds, so a scenario can be checked without running it.
public struct FaultScript: Sendable, Equatable {
    public var base: FaultState
    public var steps: [FaultStep]

    public init(base: FaultState = FaultState(), steps: [FaultStep] = []) {
        self.base = base
        self.steps = steps
    }

    public func state(at elapsedSeconds: Double) -> FaultState {
        var state = base
        for step in steps where step.isActive(at: elapsedSeconds) {
            step.change.apply(to: &state)
        }
        return state
    }

    /// The next time after `t` at which some step starts or ends; nil when nothing changes again.
    public func nextChange(after t: Double) -> Double? {
        var best: Double?
        func consider(_ x: Double) {
            if x > t, best.map({ x < $0 }) ?? true { best = x }
        }
        for step in steps {
            if t < step.at {
                consider(step.at)
                if let d = step.duration { consider(step.at + d) }
                continue
            }
            guard let duration = step.duration else { continue }
            if let every = step.every, every > 0 {
                let cycles = ((t - step.at) / every).rounded(.down)
                let start = step.at + cycles * every
                consider(start + duration)
                consider(start + every)
            } else {
                consider(step.at + duration)
            }
        }
        return best
    }
}
