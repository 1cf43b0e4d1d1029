/// Finds the line of a key in TOML source text, for error messages: TOML libraries give lines
/// for syntax errors only, not for the values a validator rejects later.
///
/// Understands `[table]`, `[[array.of.tables]]` and `key = value` lines — the shapes our config
/// files use. A key it cannot place gets no line rather than a wrong one.
public struct TOMLKeyLocator: Sendable {
    /// One step of a table path: `node[2]` is `("node", 2)`, a plain table has no index.
    public struct Segment: Sendable, Equatable {
        public var name: String
        public var index: Int?
        public init(_ name: String, _ index: Int? = nil) {
            self.name = name
            self.index = index
        }
    }

    private var keyLines: [(path: [Segment], key: String, line: Int)] = []
    private var headerLines: [(path: [Segment], line: Int)] = []

    public init(source: String) {
        var current: [Segment] = []
        var counts: [String: Int] = [:]
        for (number, rawLine) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.hasPrefix("[") {
                let isArray = line.hasPrefix("[[")
                let inner = line.drop(while: { $0 == "[" }).prefix(while: { $0 != "]" })
                let names = inner.split(separator: ".").map { $0.trimmingCharacters(in: " \t\"") }
                var path: [Segment] = []
                for (i, name) in names.enumerated() {
                    if i < names.count - 1 {
                        let inherited = i < current.count && current[i].name == name ? current[i].index : nil
                        path.append(Segment(name, inherited))
                    } else if isArray {
                        let counter = path.map { "\($0.name)#\($0.index ?? -1)" }.joined(separator: ".") + "." + name
                        let index = (counts[counter] ?? -1) + 1
                        counts[counter] = index
                        path.append(Segment(name, index))
                    } else {
                        path.append(Segment(name))
                    }
                }
                current = path
                headerLines.append((path, number + 1))
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<equals].trimmingCharacters(in: " \t\"")
                keyLines.append((current, key, number + 1))
            }
        }
    }

    /// The 1-based line of `key` in the table at `path`; with no key, the table's header line.
    public func line(of key: String?, in path: [Segment]) -> Int? {
        guard let key else { return headerLines.first { $0.path == path }?.line }
        // A table is a key of its parent too: `[default]` is the line of the key "default".
        return keyLines.first { $0.path == path && $0.key == key }?.line
            ?? headerLines.first { $0.path == path + [Segment(key)] || $0.path == path + [Segment(key, 0)] }?.line
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let first = s.first, set.contains(first) { s.removeFirst() }
        while let last = s.last, set.contains(last) { s.removeLast() }
        return String(s)
    }
}
