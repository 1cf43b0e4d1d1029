import Foundation
import Testing

/// A terminal for end-to-end tests: a private tmux server (its own socket name), a session of
/// a fixed size running one command, and `capture-pane` polled with deadlines, never fixed sleeps.
final class TmuxSession {
    let socket = "thrifttop-e2e-\(getpid())-\(UUID().uuidString.prefix(8))"
    let directory: URL

    static var thrifttop: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("thrifttop").path
    }

    init(width: Int = 160, height: Int = 45, command: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A wrapper records the terminal settings before and after, the PID and the exit status.
        let script = """
            cd \(directory.path)
            echo $$ > wrapper.pid
            stty -g > stty.before
            sh -c 'echo $$ > pid; exec \(command)'
            echo $? > exit
            stty -g > stty.after
            sleep 120
            """
        try script.write(to: directory.appendingPathComponent("run.sh"), atomically: true, encoding: .utf8)
        try tmux(["new-session", "-d", "-s", "e2e", "-x", "\(width)", "-y", "\(height)",
                  "env LANG=C.UTF-8 TERM=tmux-256color sh \(directory.appendingPathComponent("run.sh").path)"])
    }

    /// Stops what the session started, by PID (the dashboard, then the wrapper shell), then the
    /// tmux server: a test that fails half-way leaves nothing running.
    deinit {
        for name in ["pid", "wrapper.pid"] {
            if let text = file(name), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 {
                kill(pid, SIGKILL)
            }
        }
        _ = try? tmux(["kill-server"])
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs a tmux command with posix_spawn and waitpid. (Foundation's Process never returns
    /// from waitUntilExit for a tmux client that daemonizes its server.) The output goes to a
    /// temporary file, read after the client exits: a pipe would be held open by the server.
    @discardableResult
    func tmux(_ arguments: [String], output: Bool = false) throws -> String {
        let outPath = directory.appendingPathComponent("tmux-out-\(UUID().uuidString)").path
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ? outPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = (["tmux", "-L", socket] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Default signal handling in the child: a test runner that ignores SIGHUP must not pass
        // that on, or tmux could not hang up its panes on kill-server.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/tmux", &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw TmuxError(description: "cannot run tmux: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard output else { return "" }
        defer { unlink(outPath) }
        return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    }

    struct TmuxError: Error, CustomStringConvertible { var description: String }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", "e2e"], output: true) }

    func keys(_ keys: String...) throws { try tmux(["send-keys", "-t", "e2e"] + keys) }

    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", "e2e", "-x", "\(width)", "-y", "\(height)"])
    }

    func file(_ name: String) -> String? {
        try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// Polls the screen until `condition` holds; records the last screen when it never does.
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 15, _ condition: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out after \(seconds)s waiting for \(what); screen:\n\(last)")
        return last
    }

    func waitForFile(_ name: String, seconds: Double = 10) async throws -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = file(name), !text.isEmpty { return text }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// The row of the node table for `node`.
    static func row(_ screen: String, _ node: String) -> String? {
        screen.split(separator: "\n").first { line in
            line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first.map { $0 == node } ?? false
        }.map(String.init)
    }
}
