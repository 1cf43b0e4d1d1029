import Dispatch
import Foundation

/// Waits for SIGINT or SIGTERM (or a timeout) without killing the process, so servers and the
/// terminal can be shut down in order.
///
/// The signals are caught from `init` on, not from `wait`: between the two the disposition is
/// SIG_IGN, and an ignored signal is discarded by the kernel, so a SIGTERM sent just after start
/// (a supervisor's, a test's) would be lost and the process would run on.
final class StopSignal: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let lock = NSLock()
    /// The signal that arrived, once one has.
    private var arrived: String?
    private var waiting: CheckedContinuation<String?, Never>?
    /// Counts the waits, so that a timer of an earlier wait cannot end a later one.
    private var waits = 0

    init(signals: [Int32] = [SIGINT, SIGTERM]) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: .global())
        }
        for source in sources {
            let name = Int32(source.handle) == SIGINT ? "SIGINT" : "SIGTERM"
            source.setEventHandler { [weak self] in self?.deliver(name) }
            source.resume()
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }

    /// The name of the signal that arrived (also before this call), or nil when `timeout`
    /// seconds passed first. Once.
    func wait(timeout: Double?) async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            lock.lock()
            if let arrived {
                lock.unlock()
                continuation.resume(returning: arrived)
                return
            }
            waiting = continuation
            waits += 1
            let wait = waits
            lock.unlock()
            if let timeout {
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak self] in self?.resume(nil, ifWait: wait) }
            }
        }
    }

    private func deliver(_ name: String) {
        lock.lock()
        if arrived == nil { arrived = name }
        lock.unlock()
        resume(name)
    }

    /// Resumes the waiter, if any (and only wait number `ifWait` when given), at most once.
    private func resume(_ value: String?, ifWait wait: Int? = nil) {
        lock.lock()
        if let wait, wait != waits {
            lock.unlock()
            return
        }
        let continuation = waiting
        waiting = nil
        lock.unlock()
        continuation?.resume(returning: value)
    }
}
