import ClusterModel
import Foundation

/// `serve --record DIR`: recording files that rotate — a new one every `fileSeconds`, or sooner
/// when the one being written alone reaches a quarter of `maxBytes`, named by cluster and start
/// time so that names sort in time order — with files older than `keepSeconds` removed, and the
/// oldest removed while all of them take more than `maxBytes` (checked every minute).
public final class RecordingDirectory {
    public let directory: String
    private let header: RecordingHeader
    private let maxBytes: UInt64
    private let keepSeconds: Double
    private let fileSeconds: Double
    private let keyframeInterval: Double
    private var current: RecordingWriter?
    private var currentStart = 0.0
    private var lastPrune = 0.0

    public init(directory: String, header: RecordingHeader, maxBytes: UInt64, keepSeconds: Double,
                fileSeconds: Double = 3600, keyframeInterval: Double = RecordingFormat.keyframeInterval) throws {
        self.directory = directory
        self.header = header
        self.maxBytes = maxBytes
        self.keepSeconds = keepSeconds
        self.fileSeconds = fileSeconds
        self.keyframeInterval = keyframeInterval
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RecordingError("cannot make the recording directory \(directory): \(error.localizedDescription)")
        }
    }

    /// The file being written.
    public var currentPath: String? { current?.path }

    public func record(_ snapshot: ClusterSnapshot) throws {
        let time = snapshot.wallTime
        if current == nil || time - currentStart >= fileSeconds || (current?.size ?? 0) >= maxBytes / 4 {
            try current?.close()
            var header = header
            header.startedAt = time
            let name = "\(FileName.part(header.cluster, limit: 40))-\(FileName.stamp(time)).\(RecordingFormat.fileExtension)"
            current = try RecordingWriter(path: (directory as NSString).appendingPathComponent(name), header: header,
                                          keyframeInterval: keyframeInterval)
            currentStart = time
            prune(now: time)
        } else if time - lastPrune >= 60 {
            prune(now: time)
        }
        try current?.record(snapshot)
    }

    public func close() throws {
        try current?.close()
        current = nil
    }

    /// Removes files past `keepSeconds`, then the oldest while over `maxBytes` (never the one
    /// being written).
    private func prune(now: Double) {
        lastPrune = now
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return }
        var files = names.filter { $0.hasSuffix(".\(RecordingFormat.fileExtension)") }.sorted().map { name -> (path: String, size: UInt64, modified: Double) in
            let path = (directory as NSString).appendingPathComponent(name)
            let attributes = try? manager.attributesOfItem(atPath: path)
            return (path, (attributes?[.size] as? NSNumber)?.uint64Value ?? 0,
                    (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? now)
        }.filter { $0.path != current?.path }
        for file in files where now - file.modified > keepSeconds { try? manager.removeItem(atPath: file.path) }
        files.removeAll { now - $0.modified > keepSeconds }
        var total = files.reduce(current?.size ?? 0) { $0 + $1.size }
        for file in files where total > maxBytes {
            try? manager.removeItem(atPath: file.path)
            total -= file.size
        }
    }
}
