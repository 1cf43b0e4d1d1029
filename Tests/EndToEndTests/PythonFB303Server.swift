import Foundation

/// Apache Thrift's own Python fb303 server (`demo/python/fb303_server.py`, python3-thrift) on a
/// free loopback port; it stops by itself after `--max-seconds`, and is killed by its PID when
/// this value goes, pass or fail.
final class PythonFB303Server {
    let process = Process()
    let port: Int

    static let repository: String = {
        let parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        return parts.dropLast(3).joined(separator: "/")
    }()

    init(arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["\(Self.repository)/demo/python/fb303_server.py", "--port", "0", "--max-seconds", "120"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let port = text.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
              text.hasPrefix("LISTENING") else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the Python server did not start: \(text)"])
        }
        self.port = port
    }

    var pid: pid_t { process.processIdentifier }

    deinit {
        // SIGKILL (after SIGCONT, for one a test stopped): its threads keep it past SIGTERM.
        if process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }
}
