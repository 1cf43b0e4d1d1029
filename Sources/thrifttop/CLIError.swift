import ArgumentParser

/// A failure to report to the user as one clear line, with an exit code (1 unless said).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32 = 1
}

extension ParsableCommand {
    /// Prints `error` to stderr the way ArgumentParser does, without the usage text.
    static func fail(_ message: String, code: Int32 = 1) -> ExitCode {
        var standardError = StandardError()
        print("error: \(message)", to: &standardError)
        return ExitCode(code)
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandleOut.write(string, to: 2)
    }
}

enum FileHandleOut {
    static func write(_ string: String, to fd: Int32) {
        var text = string
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}

import Glibc
