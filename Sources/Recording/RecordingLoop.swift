import ClusterModel

/// Where snapshots are recorded: one file (`RecordingWriter`) or rotating ones (`RecordingDirectory`).
public protocol SnapshotRecorder: AnyObject {
    func record(_ snapshot: ClusterSnapshot) throws
    func close() throws
}

extension RecordingWriter: SnapshotRecorder {}
extension RecordingDirectory: SnapshotRecorder {}

/// Records a cluster's snapshots at a steady cadence until cancelled or a write fails (a full
/// disk, a directory that went): what `serve --record` and `thrifttop record` run. The recorder
/// belongs to the loop; `snapshot` nil (none yet, or not live) records nothing that second.
public enum RecordingLoop {
    /// Returns the error that stopped it, nil when cancelled; the recording is closed either way.
    public static func run(every period: Duration = .seconds(1), into recorder: some SnapshotRecorder,
                           snapshot: @Sendable () async -> ClusterSnapshot?) async -> RecordingError? {
        defer { try? recorder.close() }
        while !Task.isCancelled {
            if let current = await snapshot() {
                do {
                    try recorder.record(current)
                } catch let error as RecordingError {
                    return error
                } catch {
                    return RecordingError("\(error)")
                }
            }
            try? await Task.sleep(for: period)
        }
        return nil
    }
}
