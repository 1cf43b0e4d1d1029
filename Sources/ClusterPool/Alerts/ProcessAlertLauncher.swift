import ClusterModel
import Dispatch
import Foundation
import Glibc
import NIOConcurrencyHelpers

/// Runs an alert command as a child process with `posix_spawnp` (no shell), off the pool's loop:
/// each run waits on a Dispatch worker thread, never on the loop or a cooperative thread. The
/// child gets /dev/null for stdin and stdout, a pipe for stderr (its tail goes into the pool's
/// event), default signal handling, and its own process group, so a timeout's SIGKILL reaches
/// whatever the command started too (a script's `sleep`), and nothing it prints reaches the
/// dashboard's terminal.
struct ProcessAlertLauncher: AlertLauncher {
    /// How much of the command's stderr is kept for the event: its end, where the error is.
    static let stderrTailBytes = 2048
    private static let spawnLock = NIOLock()

    func launch(_ run: AlertRun, completion: @escaping @Sendable (AlertOutcome) -> Void) {
        DispatchQueue.global(qos: .utility).async {
            completion(Self.runToEnd(run))
        }
    }

    private static func runToEnd(_ run: AlertRun) -> AlertOutcome {
        var pipeEnds: [Int32] = [0, 0]
        // pipe2 is not visible from Swift: pipe, then close-on-exec, under a lock so that another
        // run's child cannot inherit this pipe in between (it would hold the stderr pipe open).
        let spawned: Result<pid_t, SpawnError> = spawnLock.withLock {
            guard pipe(&pipeEnds) == 0 else { return .failure(SpawnError(text: "cannot make a pipe: \(errorText(errno))")) }
            _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
            defer { close(pipeEnds[1]) }
            return spawn(run, stderr: pipeEnds[1])
        }
        let readEnd = pipeEnds[0]
        let pid: pid_t
        switch spawned {
        case let .success(child): pid = child
        case let .failure(error):
            if readEnd > 0 { close(readEnd) }
            return .failedToStart(error.text)
        }
        let watch = ChildWatch(pid: pid)
        let nanoseconds = max(0, run.timeout.nanoseconds)
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) {
            watch.killIfRunning()
        }
        let tail = readTail(readEnd)
        close(readEnd)
        let status = watch.reap()
        let text = TextSanitizer.clean(String(decoding: tail, as: UTF8.self), maximumLength: 300).trimmingCharacters(in: .whitespaces)
        if watch.timedOut { return .timedOut(stderr: text) }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros: decoded by hand.
        if status & 0x7F == 0 { return .exited(status: (status >> 8) & 0xFF, stderr: text) }
        return .signalled(status & 0x7F, stderr: text)
    }

    private struct SpawnError: Error { var text: String }

    private static func spawn(_ run: AlertRun, stderr: Int32) -> Result<pid_t, SpawnError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        // The dashboard's handlers and NIO's ignored SIGPIPE must not carry over into the child.
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("THRIFTTOP_") }
        environment.merge(run.environment) { $1 }
        let argv = run.command.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let code = posix_spawnp(&pid, run.command[0], &actions, &attributes, argv, envp)
        guard code == 0 else {
            let program = run.command[0]
            let where_ = program.contains("/") ? "" : " (looked for in PATH)"
            return .failure(SpawnError(text: "cannot start \(program): \(errorText(code))\(where_)"))
        }
        return .success(pid)
    }

    /// Reads the pipe to its end (every writer gone), keeping only the last bytes.
    private static func readTail(_ fd: Int32) -> [UInt8] {
        var tail: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            tail += buffer[..<count]
            if tail.count > stderrTailBytes { tail.removeFirst(tail.count - stderrTailBytes) }
        }
        return tail
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code)).lowercased()
    }
}

/// A spawned child until it is reaped: the timeout's kill and the reaping take turns under a
/// lock, so the kill never reaches a process id the system already gave to someone else.
private final class ChildWatch: Sendable {
    private struct State {
        var exited = false
        var timedOut = false
    }

    let pid: pid_t
    private let state = NIOLockedValueBox(State())

    init(pid: pid_t) { self.pid = pid }

    var timedOut: Bool { state.withLockedValue { $0.timedOut } }

    /// The timeout: the whole process group is killed, unless the child has already exited.
    func killIfRunning() {
        state.withLockedValue {
            guard !$0.exited else { return }
            $0.timedOut = true
            kill(-pid, SIGKILL)
        }
    }

    /// Waits for the child to exit (without reaping, so its id stays ours), then reaps it.
    func reap() -> Int32 {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        state.withLockedValue { $0.exited = true }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }
}
