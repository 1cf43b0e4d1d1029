import ClusterModel
import Foundation

/// Drains and weight changes that outlive the process.
public struct OperatorState: Codable, Sendable, Equatable {
    public var drained: [String]
    /// Only weights that differ from the config.
    public var weights: [String: Int]

    public init(drained: [String] = [], weights: [String: Int] = [:]) {
        self.drained = drained
        self.weights = weights
    }

    func describe(_ node: String?) -> String? {
        guard let node else { return nil }
        let weight = weights[node].map { "weight \($0)" } ?? "configured weight"
        return (drained.contains(node) ? "drained, " : "serving, ") + weight
    }
}

/// One line of the audit log.
public struct AuditRecord: Codable, Sendable, Equatable {
    public var time: String
    public var user: String
    /// The thrifttop instance it was done on (config `instance`, default the host name).
    public var instance: String?
    public var action: String
    public var node: String?
    public var before: String?
    public var after: String?
    public var result: String

    init(time: Double, user: String, instance: String, action: String, node: String?, before: String?, after: String?, result: String) {
        self.time = RFC3339.string(fromUnixSeconds: time)
        self.user = user
        self.instance = instance
        self.action = action
        self.node = node
        self.before = before
        self.after = after
        self.result = result
    }
}

/// Writes the operator state atomically (temp file, fsync, rename, fsync of the directory), so a
/// crash or `kill -9` mid-write leaves either the old or the new file, never a torn one; and
/// appends audit records as JSON lines.
public struct OperatorPersistence: Sendable {
    public let stateFile: String?
    public let auditLog: String?

    public init(stateFile: String?, auditLog: String?) {
        self.stateFile = stateFile
        self.auditLog = auditLog
    }

    /// A file that could not be read, written or renamed, named with the reason.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public func load() throws -> OperatorState? {
        guard let stateFile, FileManager.default.fileExists(atPath: stateFile) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: stateFile))
        do {
            return try JSONDecoder().decode(OperatorState.self, from: data)
        } catch {
            throw Failure(description: "\(stateFile) is not a thrifttop state file: \(error)")
        }
    }

    public func save(_ state: OperatorState) throws {
        guard let stateFile else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.writeAtomically(try encoder.encode(state), to: stateFile)
    }

    public func audit(_ record: AuditRecord) throws {
        guard let auditLog else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(record)
        line.append(0x0A)
        let fd = open(auditLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(description: "cannot open \(auditLog): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try Self.writeAll(fd, line, path: auditLog)
    }

    /// temp file in the same directory → write → fsync → rename over → fsync the directory.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temp = "\(path).tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure(description: "cannot create \(temp): \(String(cString: strerror(errno)))") }
        do {
            try writeAll(fd, data, path: temp)
            guard fsync(fd) == 0 else { throw Failure(description: "fsync \(temp): \(String(cString: strerror(errno)))") }
            close(fd)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        guard rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw Failure(description: "rename \(temp) → \(path): \(reason)")
        }
        let dirFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    private static func writeAll(_ fd: Int32, _ data: Data, path: String) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: "write \(path): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
    }
}
