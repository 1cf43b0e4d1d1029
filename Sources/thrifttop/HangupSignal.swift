import Dispatch
import Foundation

/// SIGHUP for `serve`: reload, never stop. Each signal runs `handler` (on a Dispatch queue;
/// signals that come faster than it runs are taken as one). `serve`'s handler starts the reload
/// and returns, so a SIGHUP during a reload is refused as "another reload is in progress".
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
