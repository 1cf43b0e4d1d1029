import Glibc

/// The little file access the terminal side needs (theme files, directory listings), with libc:
/// this module links nothing but DashboardKit and ncurses.
enum TextFile {
    static func read(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else {
            throw TerminalError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
            if count < buffer.count {
                if ferror(file) != 0 { throw TerminalError.unreadable(path: path, reason: String(cString: strerror(errno))) }
                break
            }
            // A theme is a few kilobytes; anything huge is not a theme.
            if bytes.count > 1_000_000 { throw TerminalError.unreadable(path: path, reason: "larger than 1 MB, not a theme") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes (replaces) a small text file.
    static func write(_ text: String, to path: String) throws {
        if let reason = save(text, to: path) { throw TerminalError.unreadable(path: path, reason: reason) }
    }

    /// Writes (replaces) a text file; nil when all of it was written, else why not (a full
    /// disk shows at the write or the close).
    static func save(_ text: String, to path: String) -> String? {
        guard let file = fopen(path, "w") else { return String(cString: strerror(errno)) }
        var text = text
        let written = text.withUTF8 { fwrite($0.baseAddress, 1, $0.count, file) == $0.count }
        let failure = written ? nil : String(cString: strerror(errno))
        guard fclose(file) == 0 else { return failure ?? String(cString: strerror(errno)) }
        return failure
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    static func list(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names
    }

    /// This process's executable, resolved (Linux: /proc/self/exe).
    static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
