import ClusterModel
import Dispatch
import Foundation

/// `[alerts] snapshot_dir`: writes the cluster's snapshot at an alert as JSON, off the pool's
/// loop (a large cluster's snapshot is megabytes to encode and write), and keeps only the
/// newest `keep` of them. Jobs run one at a time in order, so a run that shares a file written
/// a moment before starts only once that file is whole.
final class AlertSnapshotWriter: Sendable {
    let directory: String
    let keep: Int
    private let queue = DispatchQueue(label: "thrifttop.alert-snapshots")

    init(directory: String, keep: Int) {
        self.directory = directory
        self.keep = keep
    }

    /// Writes `snapshot` to `path` (nil: the file is the one written just before), then calls
    /// `done` with why it could not be written, or nil.
    func write(_ snapshot: ClusterSnapshot?, to path: String, done: @escaping @Sendable (String?) -> Void) {
        queue.async { [self] in
            // A shared file was written (or failed) by the job before this one.
            guard let snapshot else {
                return done(FileManager.default.fileExists(atPath: path) ? nil : "the snapshot this alert shares was not written")
            }
            var json = SnapshotJSONWriter()
            json.write(snapshot)
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try Data(json.bytes).write(to: URL(fileURLWithPath: path))
            } catch {
                return done(error.localizedDescription)
            }
            prune()
            done(nil)
        }
    }

    /// The oldest alert snapshots beyond `keep` go (their names sort by time).
    private func prune() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        let snapshots = names.filter { $0.hasPrefix(Self.prefix) && $0.hasSuffix(".json") }.sorted()
        for name in snapshots.dropLast(keep) {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
    }

    static let prefix = "alert-"

    /// The file for an alert at `wall` (seconds since 1970): alert-YYYYMMDDTHHMMSS.mmmZ.json.
    func path(at wall: Double) -> String {
        let millis = String(format: "%03d", Int((wall - wall.rounded(.down)) * 1000))
        return (directory as NSString).appendingPathComponent("\(Self.prefix)\(FileName.stamp(wall).dropLast()).\(millis)Z.json")
    }
}
