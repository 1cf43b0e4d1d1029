import Dispatch
import Foundation

/// Waits for SIGINT or SIGTERM (or a timeout) without killing the process, so servers and the
/// terminal can be shut down in order.
final class StopSignal {
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32] = [SIGINT, SIGTERM]) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: .global())
        }
    }

    /// Whether `wait` resumed the sources: libdispatch traps on releasing a suspended one.
    private var resumed = false

    deinit {
        for source in sources {
            source.cancel()
            if !resumed { source.resume() }
        }
    }

    /// The name of the signal that arrived, or nil when `timeout` seconds passed first. Once.
    func wait(timeout: Double?) async -> String? {
        resumed = true
        return await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let once = OnceBox(continuation)
            for source in sources {
                let number = Int32(source.handle)
                source.setEventHandler { once.resume(number == SIGINT ? "SIGINT" : "SIGTERM") }
                source.resume()
            }
            if let timeout {
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { once.resume(nil) }
            }
        }
    }
}

/// Resumes a continuation at most once, from whichever thread gets there first.
private final class OnceBox: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<String?, Never>?

    init(_ continuation: CheckedContinuation<String?, Never>) {
        self.continuation = continuation
    }

    func resume(_ value: String?) {
        lock.lock()
        let c = continuation
        continuation = nil
        lock.unlock()
        c?.resume(returning: value)
    }
}
