import Foundation

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A Python script of `demo/python/` run with the system interpreter, which has Debian's
/// python3-thrift (a bare `python3` on PATH may be another interpreter without it).
/// Killed by its own PID when the test is done with it.
final class PythonProcess: @unchecked Sendable {
    let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(script: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [repositoryRoot.appendingPathComponent("demo/python/\(script)").path] + arguments
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Reads stdout until a line starting with `prefix` appears, or fails after `seconds`.
    func waitForLine(startingWith prefix: String, seconds: Double = 20) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var text = ""
        let handle = stdout.fileHandleForReading
        while Date() < deadline {
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
            guard process.isRunning else { break }
            let chunk = handle.availableData
            if chunk.isEmpty { Thread.sleep(forTimeInterval: 0.01) }
            text += String(decoding: chunk, as: UTF8.self)
        }
        throw Failure(description: "no '\(prefix)' line from python within \(seconds)s; stdout: \(text) stderr: \(errorText())")
    }

    /// Waits for the process to exit (killing it after `seconds`) and returns its stdout.
    func output(seconds: Double = 30) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            stop()
            throw Failure(description: "python did not finish within \(seconds)s")
        }
        let out = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(description: "python exited \(process.terminationStatus): \(out) \(errorText())")
        }
        return out
    }

    func errorText() -> String {
        guard !process.isRunning else { return "" }
        return String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
