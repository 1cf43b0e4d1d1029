import ClusterPool
import NIOCore
import NIOPosix

/// The event loops a proxy's client connections run on. Each listener accepts on the first and
/// hands new connections to the loops in turn; every loop routes its connections' calls itself
/// (`CallEntry`: the pool's own loop is the pool, any other has a router of its own), so a call
/// never changes thread.
///
/// Which loops: those of the group the caller gives (`serve` makes one of `[proxy] threads`
/// loops and puts the pool on one of them); without one, the pool's loop alone for one thread,
/// else a group of the proxy's own.
final class ListenerLoops: Sendable {
    let loops: [any EventLoop]
    /// The pool's way in on each loop, in `loops` order.
    let entries: [CallEntry]
    /// Where a listener's new connections go (in turn).
    let childGroup: any EventLoopGroup
    /// A group the proxy made (nil when given one, or on the pool's loop): shut down with it.
    private let owned: MultiThreadedEventLoopGroup?

    private init(loops: [any EventLoop], entries: [CallEntry], childGroup: any EventLoopGroup, owned: MultiThreadedEventLoopGroup?) {
        self.loops = loops
        self.entries = entries
        self.childGroup = childGroup
        self.owned = owned
    }

    static func start(pool: ClusterPool, group: MultiThreadedEventLoopGroup?, threads: Int) async throws -> ListenerLoops {
        let owned = group == nil && threads > 1 ? MultiThreadedEventLoopGroup(numberOfThreads: threads) : nil
        let childGroup: any EventLoopGroup
        if let given = group ?? owned {
            childGroup = given
        } else {
            childGroup = pool.eventLoop
        }
        var loops: [any EventLoop] = []
        for loop in childGroup.makeIterator() { loops.append(loop) }
        var entries: [CallEntry] = []
        do {
            for loop in loops { entries.append(try await pool.entry(on: loop)) }
        } catch {
            await pool.dropEntries(on: loops)
            try? await owned?.shutdownGracefully()
            throw error
        }
        return ListenerLoops(loops: loops, entries: entries, childGroup: childGroup, owned: owned)
    }

    /// The routers of these loops stop (their call connections close); a group the proxy made
    /// shuts down.
    func shutdown(pool: ClusterPool) async {
        await pool.dropEntries(on: loops)
        try? await owned?.shutdownGracefully()
    }
}
