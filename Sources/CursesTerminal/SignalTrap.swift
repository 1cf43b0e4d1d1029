import CNcurses
import Glibc
import Synchronization

/// The last stop signal (SIGINT, SIGTERM, SIGHUP) that arrived, 0 for none. A signal handler may
/// do almost nothing safely, so it only stores the number here; the loop polls it, restores the
/// terminal in ordinary code, then lets the signal take its course.
private let pendingSignal = Atomic<Int32>(0)
/// Whether curses owns the terminal, so a crash handler knows to give it back.
private let cursesActive = Atomic<Bool>(false)
/// The actions that were installed before ours, by signal number, to put back afterwards.
/// Written before the handlers go in, read only after: a plain buffer is enough.
nonisolated(unsafe) private let previousActions = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)

/// The terminal's modes before curses changed them, saved by `install` (before `initscr`), so a
/// crash handler can put them back with `tcsetattr` alone: `endwin` is not async-signal-safe
/// (it uses stdio and curses' own state, and may allocate), and a crash inside malloc or a
/// screen update must not hang the handler with the terminal still raw.
nonisolated(unsafe) private let savedModes = UnsafeMutablePointer<termios>.allocate(capacity: 1)
nonisolated(unsafe) private var haveSavedModes = false

/// What `endwin` would send, as plain bytes written with `write(2)`: leave the alternate screen,
/// show the cursor, reset attributes, stop mouse reporting, leave keypad mode. These are the
/// xterm sequences every terminal thrifttop targets understands (tmux, xterm, VTE, kitty).
private let restoreSequence: StaticString = "\u{1b}[?1000l\u{1b}[?1002l\u{1b}[?1003l\u{1b}[?1006l\u{1b}[0m\u{1b}[?25h\u{1b}[?1l\u{1b}>\u{1b}[?1049l\r\n"

/// Gives the terminal back from inside a signal handler: only `tcsetattr` and `write`.
private func restoreTerminalFromSignal() {
    if haveSavedModes { tcsetattr(STDIN_FILENO, TCSANOW, savedModes) }
    _ = write(STDOUT_FILENO, restoreSequence.utf8Start, restoreSequence.utf8CodeUnitCount)
}

private func storeSignal(_ number: Int32) {
    pendingSignal.store(number, ordering: .relaxed)
}

/// A crash (a trap, a bad access, an abort) while the dashboard runs: give the terminal back
/// first (as htop does), say where the backtrace goes, then call the previous handler
/// directly with this signal's context, so Swift's backtracer reports the crashed thread.
/// That handler returns, resetting every handler to the default; for a signal sent with `kill`
/// nothing would fault again and the process would carry on, so we die of the signal ourselves.
/// (The backtracer never prompts: `thrifttop` starts itself with `SWIFT_BACKTRACE` set; see
/// `CrashReporting` in the executable.)
private func crashed(_ number: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    if cursesActive.exchange(false, ordering: .relaxed) { restoreTerminalFromSignal() }
    let previous = previousActions[Int(number)]
    // SIG_DFL is 0 and SIG_IGN is 1: anything else is a handler to call.
    let hasHandler = unsafeBitCast(previous.__sigaction_handler.sa_handler, to: UInt.self) > 1
    CrashNotice.write(signal: number, backtraceFollows: hasHandler)
    if hasHandler {
        if previous.sa_flags & SA_SIGINFO != 0 {
            previous.__sigaction_handler.sa_sigaction?(number, info, context)
        } else {
            previous.__sigaction_handler.sa_handler?(number)
        }
    }
    SignalTrap.reraise(number)
}

/// Installs and removes the dashboard's signal handlers. Installed before curses starts:
/// ncurses leaves handlers that are not SIG_DFL alone (and keeps its own SIGWINCH for resizes).
enum SignalTrap {
    static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    static func install() {
        pendingSignal.store(0, ordering: .relaxed)
        haveSavedModes = tcgetattr(STDIN_FILENO, savedModes) == 0
        CrashNotice.prepare()
        for number in stopSignals { set(number, storeSignal) }
        for number in crashSignals { setCrashHandler(number) }
    }

    /// Puts every handler back as it was before `install`.
    static func uninstall() {
        for number in stopSignals + crashSignals {
            sigaction(number, previousActions + Int(number), nil)
        }
    }

    /// The stop signal that arrived since `install`, if any.
    static var pending: Int32? {
        let number = pendingSignal.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    static func cursesStarted() { cursesActive.store(true, ordering: .relaxed) }
    static func cursesEnded() { cursesActive.store(false, ordering: .relaxed) }

    /// Dies of `number` the normal way (exit status 128+n, the parent sees the signal): the
    /// default action restored, the signal raised and unblocked.
    static func reraise(_ number: Int32) -> Never {
        signal(number, SIG_DFL)
        raise(number)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, number)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        _exit(128 + number)  // only reached if the signal is ignored by the default action
    }

    private static func set(_ number: Int32, _ handler: @convention(c) (Int32) -> Void) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        // No SA_RESTART: a blocked read returns at once and the loop sees the signal.
        action.sa_flags = 0
        sigaction(number, &action, previousActions + Int(number))
    }

    /// The flags of Swift's own crash handler. SA_ONSTACK: a stack overflow leaves no stack to
    /// run on but the thread's alternate one. SA_NODEFER and no crash signal blocked: Swift's
    /// handler reads memory for the backtracer in a thread cloned from this one, which expects
    /// to catch its own SIGSEGV; with it blocked the kernel kills the process mid-backtrace.
    private static func setCrashHandler(_ number: Int32) {
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = crashed
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER
        sigaction(number, &action, previousActions + Int(number))
    }
}
