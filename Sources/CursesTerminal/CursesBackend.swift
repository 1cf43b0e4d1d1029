import CNcurses
import DashboardKit
import Glibc

/// The terminal, owned through ncursesw: starts and restores it, draws the changed cells of each
/// frame, reads keys and mouse events. One instance at a time, used from one task (curses is not
/// thread-safe); explicitly not Sendable.
final class CursesBackend {
    private var previous: Screen?
    private var palette: CursesPalette
    private var active = false
    private let mouse: Bool

    /// Takes over the terminal. `newterm` rather than `initscr`: on an unusable `TERM` it returns
    /// nil where `initscr` would print and exit the process.
    init(theme: Theme, mouse: Bool) throws {
        guard newterm(nil, tt_stdout(), tt_stdin()) != nil else {
            throw TerminalError.cannotInitialize(term: getenv("TERM").map { String(cString: $0) })
        }
        active = true
        SignalTrap.cursesStarted()
        self.mouse = mouse
        cbreak()  // keys at once, but Ctrl-C still a SIGINT (our handler)
        noecho()
        nonl()
        keypad(tt_stdscr(), true)
        set_escdelay(25)  // Esc alone should feel instant, not wait a second for a sequence
        curs_set(0)
        wtimeout(tt_stdscr(), 0)
        var colors = 0
        if has_colors() {
            start_color()
            use_default_colors()
            colors = Int(tt_colors())
        }
        palette = CursesPalette(theme: theme, colorCount: colors, pairLimit: Int(tt_color_pairs()))
        if mouse {
            let mask = tt_button1_pressed() | tt_button1_clicked() | tt_button4_pressed() | tt_button5_pressed()
            mousemask(mask, nil)
            mouseinterval(0)  // report presses at once instead of waiting to see a click
        }
    }

    deinit { restore() }

    var width: Int { Int(getmaxx(tt_stdscr())) }
    var height: Int { Int(getmaxy(tt_stdscr())) }

    /// Gives the terminal back: modes, cursor, the screen the shell had. Safe to call twice.
    func restore() {
        guard active else { return }
        active = false
        if mouse { mousemask(0, nil) }
        curs_set(1)
        endwin()
        SignalTrap.cursesEnded()
    }

    /// Forgets what the terminal shows, so the next frame is drawn whole (Ctrl-L, resize).
    func invalidate() {
        previous = nil
        clearok(tt_stdscr(), true)
    }

    /// Draws `screen`, writing only the runs that differ from the previous frame.
    func draw(_ screen: Screen) {
        let window = tt_stdscr()
        if previous.map({ $0.width != screen.width || $0.height != screen.height }) ?? false {
            werase(window)
        }
        for run in ScreenDiff.runs(from: previous, to: screen) {
            let (attributes, pair) = palette.attributes(run.style)
            wattr_set(window, attributes, pair, nil)
            var scalars = run.text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
            mvwaddnwstr(window, Int32(run.y), Int32(run.x), &scalars, Int32(scalars.count))
        }
        wattr_set(window, tt_a_normal(), 0, nil)
        wnoutrefresh(window)
        doupdate()
        previous = screen
    }

    /// The audible bell, or a flash of the screen where the terminal has none (ncurses decides).
    func ringBell() {
        _ = beep()
    }

    /// The terminal went away (its pty hung up, or input is at end of file or failing): what a
    /// closed tmux pane or ssh session looks like when no SIGHUP reaches us. `wget_wch` says
    /// only "no key" then, so input is polled for the hang-up itself.
    var hungUp: Bool {
        var input = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&input, 1, 0) >= 0 else { return errno != EINTR && errno != EAGAIN }
        if input.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return true }
        // Readable but nothing to read: end of file.
        if input.revents & Int16(POLLIN) != 0 {
            var waiting: Int32 = 0
            if ioctl(STDIN_FILENO, UInt(FIONREAD), &waiting) == 0, waiting == 0 { return true }
        }
        return false
    }

    /// The next input event, or nil when none is waiting.
    func readKey() -> Key? {
        var character: wint_t = 0
        let status = wget_wch(tt_stdscr(), &character)
        switch status {
        case OK:
            return KeyDecoder.character(UInt32(character))
        case KEY_CODE_YES:
            let code = Int32(character)
            if code == KEY_RESIZE {
                invalidate()
                return .resize(width: width, height: height)
            }
            if code == KEY_MOUSE { return readMouse() }
            return KeyDecoder.function(code)
        default:
            return nil
        }
    }

    private func readMouse() -> Key? {
        var event = MEVENT()
        guard getmouse(&event) == OK else { return nil }
        let x = Int(event.x), y = Int(event.y)
        if event.bstate & tt_button4_pressed() != 0 { return .wheelUp(x: x, y: y) }
        if event.bstate & tt_button5_pressed() != 0 { return .wheelDown(x: x, y: y) }
        if event.bstate & (tt_button1_pressed() | tt_button1_clicked()) != 0 { return .click(x: x, y: y) }
        return nil
    }
}
