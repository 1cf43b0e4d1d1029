import Foundation
import Testing

/// A crash of the live dashboard as a user meets it: the release binary in a real terminal
/// (tmux), killed with SIGABRT or SIGSEGV from outside. The terminal must come back exactly as
/// it was, the process must be gone within seconds without waiting for a key, and the crash
/// file whose path is printed must hold Swift's backtrace.
@Suite("Dashboard crash (tmux, release build)", .serialized)
struct CrashEndToEndTests {
    /// Which variable tells the dashboard where crash files go.
    enum StateLocation: Sendable { case xdgStateHome, home }

    /// `make test` names the release binary; otherwise SwiftPM's layout puts it beside the
    /// debug directory the tests run from.
    static var releaseThrifttop: String? {
        if let path = ProcessInfo.processInfo.environment["THRIFTTOP_RELEASE_BIN"] { return path }
        let debug = URL(fileURLWithPath: TmuxSession.thrifttop).deletingLastPathComponent()
        let path = debug.deletingLastPathComponent().appendingPathComponent("release/thrifttop").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Sends `signal` to the first thread of `pid` whose name starts with `prefix` and that
    /// does not block it (tgkill, through python3: Swift's Glibc does not export it); to the
    /// process when there is none (libdispatch's workers block SIGABRT, so it goes to the main
    /// thread).
    static func signalThread(named prefix: String, of pid: pid_t, _ signal: Int32) throws {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        let thread = tasks.first { tid in
            guard (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8))?.hasPrefix(prefix) == true,
                  let status = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/status", encoding: .utf8),
                  let blocked = status.split(separator: "\n").first(where: { $0.hasPrefix("SigBlk:") })
                      .flatMap({ UInt64($0.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16) }) else { return false }
            return blocked & (1 << UInt64(signal - 1)) == 0
        }
        guard let thread else {
            kill(pid, signal)
            return
        }
        let script = "import ctypes, platform, sys; nr = {'x86_64': 234, 'aarch64': 131}[platform.machine()]; "
            + "sys.exit(ctypes.CDLL(None, use_errno=True).syscall(nr, \(pid), \(thread), \(signal)))"
        let (status, _, errors) = try runToEnd("/usr/bin/python3", ["-c", script])
        #expect(status == 0, "tgkill: \(errors)")
    }

    static func crashReason(_ signal: Int32) -> String {
        signal == SIGABRT ? "Aborted" : "Bad pointer dereference"
    }

    @Test(arguments: zip([SIGABRT, SIGSEGV], [StateLocation.xdgStateHome, .home]))
    func aCrashRestoresTheTerminalExitsAtOnceAndPrintsWhereTheBacktraceIs(signal: Int32, location: StateLocation) async throws {
        let binary = try #require(Self.releaseThrifttop, "no release thrifttop: run `make test`, or `swift build -c release --product thrifttop` first")
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("thrifttop-crash-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let scenario = home.appendingPathComponent("scenario.toml")
        try DashboardEndToEndTests.scenario.write(to: scenario, atomically: true, encoding: .utf8)
        // As from a user's shell: no backtracer settings of the test runner's, a known home.
        var environment = "env -u SWIFT_BACKTRACE -u XDG_STATE_HOME HOME=\(home.path)"
        let crashDirectory: String
        switch location {
        case .xdgStateHome:
            environment += " XDG_STATE_HOME=\(home.path)/state"
            crashDirectory = "\(home.path)/state/thrifttop"
        case .home:
            crashDirectory = "\(home.path)/.local/state/thrifttop"
        }
        let t = try TmuxSession(command: "\(environment) \(binary) --demo --scenario \(scenario.path) --seed 5 --exit-after 120")
        try await t.waitFor("the dashboard drawing live nodes", seconds: 20) { TmuxSession.row($0, "alpha")?.contains("up") == true }
        let pid = try #require(await t.waitForFile("pid").flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })

        let killedAt = Date()
        // To the pool's event loop thread where it can, as a crash in thrifttop's own code would
        // come: a signal to the process may land on a thread parked in libc and libdispatch,
        // whose backtrace holds no frame of thrifttop to show the symbols are there.
        try Self.signalThread(named: "NIO-ELT", of: pid, signal)
        let exit = try await t.waitForFile("exit", seconds: 30)?.trimmingCharacters(in: .whitespacesAndNewlines)
        let seconds = Date().timeIntervalSince(killedAt)
        let screen = try t.screen()
        #expect(exit == "\(128 + signal)", "died of the signal; screen:\n\(screen)")
        // Not waiting on the operator: Swift's interactive backtracer would hold it 30 s. Writing
        // the symbolicated backtrace takes ~5 s on a busy 2-core machine, so the bound is wide.
        #expect(seconds < 15, "gone \(seconds) s after the signal; screen:\n\(screen)")
        #expect(try await t.waitForFile("stty.after") == t.file("stty.before"), "terminal settings as before")
        #expect(!screen.contains("Press space"), "\(screen)")

        let lines = screen.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let notice = try #require(lines.firstIndex { $0.hasPrefix("Swift's backtrace is written to:") }, "the crash notice; screen:\n\(screen)")
        let path = try #require(lines.dropFirst(notice + 1).first)
        #expect(path.hasPrefix("\(crashDirectory)/crash-\(pid)-"), "\(path)")
        let backtrace = try String(contentsOfFile: path, encoding: .utf8)
        #expect(backtrace.contains("*** Program crashed: \(Self.crashReason(signal))"), "\(backtrace.prefix(500))")
        #expect(backtrace.contains("crashed:") && backtrace.contains(" in thrifttop"), "\(backtrace.prefix(2000))")
    }
}
