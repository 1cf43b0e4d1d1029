import Dispatch
import Foundation

/// SIGHUP for `serve`: reload, never stop. Each signal runs `handler` (on a Dispatch queue);
/// signals that arrive while one runs are taken as one more.
final class HangupSignal {
    private let source: any DispatchSourceSignal

    init(_ handler: @escaping @Sendable () -> Void) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "thrifttop.sighup"))
        source.setEventHandler(handler: handler)
        source.resume()
    }

    deinit { source.cancel() }
}
