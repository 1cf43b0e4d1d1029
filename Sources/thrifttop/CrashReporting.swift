import Foundation
import Glibc

/// Sets up Swift's crash backtracer for the dashboard: no prompt, no colour, the backtrace in a
/// crash file whose path the crash handler prints on the restored terminal.
///
/// Why a re-exec: on a terminal the backtracer waits for a key ("Press space to interact…")
/// behind a prompt curses hides, and it reads `SWIFT_BACKTRACE` only when the runtime starts,
/// so setting the variable from inside the process is too late. Handing the signal to our own
/// handler first restores the terminal but cannot stop the prompt. So the dashboard executes
/// itself again — the same binary, argv, environment (plus the variable), descriptors, terminal
/// and PID — before it starts anything. The new process finds the variable set and goes on:
/// no loop. A `SWIFT_BACKTRACE` the user set is left alone, since they chose how crashes are
/// reported (and it stops the re-exec the same way).
enum CrashReporting {
    static let variable = "SWIFT_BACKTRACE"

    /// Replaces this process with itself under the backtracer settings, unless they are set
    /// already. If that fails the dashboard runs on: crash reports are not worth refusing to start.
    static func restartWithBacktraceSettings() {
        guard getenv(variable) == nil, let executable = executablePath() else { return }
        let directory = stateDirectory(ProcessInfo.processInfo.environment)
        let crashFile = directory.flatMap { try? prepare($0) }.map { "\($0)/\(fileName())" }
        var environment = inheritedEnvironment()
        environment.append(strdup("\(variable)=\(settings(crashFile: crashFile))"))
        environment.append(nil)
        defer { environment.forEach { free($0) } }
        execve(executable, CommandLine.unsafeArgv, environment)
    }

    /// This binary's real path, NUL-terminated, bytes as the kernel gave them. Not
    /// `/proc/self/exe` itself: the process would then be named "exe" in `ps`, `top` and `pkill`.
    private static func executablePath() -> [CChar]? {
        var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        return length > 0 ? Array(path[..<length]) + [0] : nil
    }

    /// The backtracer settings: never wait for a key, plain text, into `crashFile` (a path with
    /// a comma would split the setting, so then standard error: the terminal, restored by then).
    static func settings(crashFile: String?) -> String {
        let output = crashFile.flatMap { $0.contains(",") ? nil : $0 } ?? "stderr"
        return "interactive=no,color=no,output-to=\(output)"
    }

    /// `$XDG_STATE_HOME/thrifttop`, else `~/.local/state/thrifttop`. The XDG spec says to ignore
    /// a relative `XDG_STATE_HOME`.
    static func stateDirectory(_ environment: [String: String]) -> String? {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return "\(state)/thrifttop" }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return "\(home)/.local/state/thrifttop"
    }

    /// Creates the directory (private: backtraces show memory) now, because the backtracer
    /// only creates the file.
    private static func prepare(_ directory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return directory
    }

    /// `crash-PID-STARTTIME.txt`: chosen at start, as the backtracer's setting is, so the handler
    /// can name it; the PID (kept by the re-exec) and start time make it unique per run.
    private static func fileName() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var text = [CChar](repeating: 0, count: 32)
        strftime(&text, text.count, "%Y%m%d-%H%M%S", &parts)
        return "crash-\(getpid())-\(text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }).txt"
    }

    /// A copy of `environ`, byte for byte (not through a dictionary, which would need UTF-8).
    private static func inheritedEnvironment() -> [UnsafeMutablePointer<CChar>?] {
        var copy: [UnsafeMutablePointer<CChar>?] = []
        var entry = environ
        while let text = entry.pointee {
            copy.append(strdup(text))
            entry += 1
        }
        return copy
    }
}
