import ClusterModel
import ClusterPool
import ConfigFormat
import Foundation
import Recording

/// A pool's snapshots recorded once a second (`serve --record DIR`, the dashboard's
/// `--record FILE`) until stopped or a write fails — which stops the recording with an event in
/// the pool's log, never the process.
enum PoolRecording {
    /// What a recording of `config` says about itself.
    static func header(_ config: ClusterConfig, recorder: String) -> RecordingHeader {
        let summary = "\(config.nodes.count) nodes, balancer \(config.balancer.rawValue)"
            + (config.listeners.isEmpty ? "" : ", listeners \(config.listeners.map { $0.address.description }.joined(separator: " "))")
        return RecordingHeader(cluster: config.name, startedAt: Date().timeIntervalSince1970, recorder: recorder, config: summary)
    }

    /// Makes the recorder with `make` (called here first, so a path that cannot be written fails
    /// before anything starts) and records into it in a task.
    static func start(_ pool: ClusterPool, make: @escaping @Sendable () throws -> any SnapshotRecorder) throws -> Task<Void, Never> {
        _ = try make()
        return Task {
            do {
                if let error = await RecordingLoop.run(into: try make(), snapshot: { try? await pool.currentSnapshot() }) {
                    pool.logEvent(.error, .record, "recording stopped: \(error); thrifttop goes on")
                }
            } catch {
                pool.logEvent(.error, .record, "recording stopped: \(error); thrifttop goes on")
            }
        }
    }
}
