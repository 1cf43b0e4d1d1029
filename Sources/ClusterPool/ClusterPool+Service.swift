import ServiceLifecycle

/// The pool in an embedder's `ServiceGroup` (swift-service-lifecycle): it runs until the group
/// shuts down gracefully, then stops, so a service's shutdown closes its node connections in order.
///
///     let group = ServiceGroup(services: [pool, myServer], gracefulShutdownSignals: [.sigterm], logger: logger)
///     try await group.run()
extension ClusterPool: Service {
    /// Starts the pool unless it was started already, waits for the group's graceful shutdown
    /// (or this task's cancellation), then stops it: connections close, calls in flight fail, the
    /// operator state file is flushed. Returns once the pool has stopped.
    public func run() async throws {
        if !isStarted { try await start() }
        do {
            try await gracefulShutdown()
        } catch {
            await stop()
            throw error
        }
        await stop()
    }
}
