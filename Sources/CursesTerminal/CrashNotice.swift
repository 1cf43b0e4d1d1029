import Glibc

/// What a crash handler prints on the restored terminal: which signal, and where Swift's
/// backtracer sends the backtrace (read from `SWIFT_BACKTRACE`'s `output-to`, so it names the
/// place the backtracer really uses, whoever set the variable). Prepared before the handlers
/// go in, because a signal handler must not allocate; `write` then only copies bytes out.
enum CrashNotice {
    /// "  PATH\n", or empty when the backtrace goes to the terminal. Replaced only by `prepare`.
    nonisolated(unsafe) private static var destination = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)

    /// Reads the backtracer's output setting from the environment; call before installing handlers.
    static func prepare() {
        let settings = getenv("SWIFT_BACKTRACE").map { String(cString: $0) } ?? ""
        let output = outputTarget(settings)
        destination.deallocate()
        guard let output, output != "stdout", output != "stderr" else {
            destination = .init(start: nil, count: 0)
            return
        }
        let line = Array("  \(output)\n".utf8)
        destination = .allocate(capacity: line.count)
        _ = destination.initialize(from: line)
    }

    /// The last `output-to=` value of a `SWIFT_BACKTRACE` setting string (later keys win).
    static func outputTarget(_ settings: String) -> String? {
        settings.split(separator: ",").reversed().lazy.compactMap { pair -> String? in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingSpaces == "output-to" else { return nil }
            return String(parts[1].trimmingSpaces)
        }.first
    }

    /// Writes the notice to standard error. Async-signal-safe: static strings, a prepared buffer,
    /// `write(2)`. `backtraceFollows` is false when no backtracer will run (the previous action
    /// is the default one), so the notice promises nothing.
    static func write(signal number: Int32, backtraceFollows: Bool) {
        emit("\nthrifttop crashed (")
        emit(name(of: number))
        emit("); the terminal is restored.\n")
        guard backtraceFollows else { return }
        if let start = destination.baseAddress {
            emit("Swift's backtrace is written to:\n")
            _ = Glibc.write(STDERR_FILENO, start, destination.count)
        } else {
            emit("Swift's backtrace follows.\n")
        }
    }

    private static func name(of number: Int32) -> StaticString {
        switch number {
        case SIGSEGV: "SIGSEGV, bad memory access"
        case SIGBUS: "SIGBUS, bad memory access"
        case SIGILL: "SIGILL, a runtime trap or illegal instruction"
        case SIGTRAP: "SIGTRAP, a runtime trap"
        case SIGFPE: "SIGFPE, arithmetic error"
        case SIGABRT: "SIGABRT, aborted"
        default: "a fatal signal"
        }
    }

    private static func emit(_ text: StaticString) {
        text.withUTF8Buffer { bytes in _ = Glibc.write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    }
}

private extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
