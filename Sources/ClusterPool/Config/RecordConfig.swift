import ConfigFormat

/// `[record]`: `serve` records the cluster's snapshots into `dir` (or `serve --record DIR`), in
/// files that rotate every hour (or at a quarter of `max_mb`), the oldest removed beyond `max_mb`
/// in all (checked every minute) or `keep_hours`.
public struct RecordSettings: Sendable, Equatable {
    /// Where; nil: no recording (unless `serve --record`).
    public var directory: String?
    public var maxMegabytes = 1024
    public var keepHours = 24.0

    public init() {}
}

extension ClusterConfig {
    static func recordSettings(_ root: ConfigTable) throws -> RecordSettings {
        var record = RecordSettings()
        guard let table = try root.table("record") else { return record }
        try table.checkKeys(allowed: recordKeys)
        if let directory = try table.string("dir") {
            guard !directory.isEmpty else { throw table.error("dir", "must be a directory path") }
            record.directory = directory
        }
        record.maxMegabytes = try table.int("max_mb", range: 1...10_000_000) ?? record.maxMegabytes
        record.keepHours = try table.number("keep_hours", range: 0.01...87_600) ?? record.keepHours
        return record
    }
}
