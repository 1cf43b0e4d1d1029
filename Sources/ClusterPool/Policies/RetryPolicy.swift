import NIOCore

/// When and how soon to retry a failed call. A retry happens only when it is safe — the request
/// never reached the server (connection failed before the write), or the caller said the call
/// is idempotent — and only while attempts and the retry budget allow.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var backoffBase: TimeAmount
    public var backoffCap: TimeAmount

    public init(maxAttempts: Int = 3, backoffBase: TimeAmount = .milliseconds(5), backoffCap: TimeAmount = .milliseconds(200)) {
        precondition(maxAttempts >= 1, "maxAttempts must be at least 1")
        self.maxAttempts = maxAttempts
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
    }

    /// Whether a failure may be retried at all (budget aside).
    public func isRetryable(_ failure: CallFailure, idempotent: Bool, attempt: Int) -> Bool {
        guard attempt < maxAttempts else { return false }
        switch failure {
        case .notWritten, .noConnection: return true
        case .timeout, .connectionLost, .protocolError: return idempotent
        case .application, .declared: return false
        }
    }

    /// Exponential backoff with full jitter before attempt `attempt + 1`.
    public func delay(afterAttempt attempt: Int, using random: inout some RandomNumberGenerator) -> TimeAmount {
        let ceiling = min(backoffCap.nanoseconds, backoffBase.nanoseconds << Int64(min(attempt - 1, 20)))
        return .nanoseconds(Int64.random(in: 0...max(0, ceiling), using: &random))
    }
}

/// How one attempt of a call failed, as the retry policy needs to know it.
public enum CallFailure: Sendable, Equatable {
    /// The request was never written: the connection failed first. Always safe to retry.
    case notWritten
    /// No connection to the chosen node.
    case noConnection
    /// Written, and no reply in time: the server may have done the work.
    case timeout
    /// Written, then the connection dropped.
    case connectionLost
    /// The reply could not be decoded.
    case protocolError
    /// A TApplicationException: the server answered.
    case application
    /// A declared exception: the server answered.
    case declared
}
