import ClusterModel
import TOMLKit

/// A parsed TOML config file with typed, located reads: every error names the file, the line
/// and the key path (`node[2].weight`). Shared by the cluster config, scenario and theme files.
public struct ConfigDocument {
    public let file: String
    public let root: ConfigTable

    public init(source: String, file: String) throws {
        self.file = file
        let table: TOMLTable
        do {
            table = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, key: "", message: "TOML syntax: \(error.description)")
        }
        root = ConfigTable(context: ConfigTable.Context(file: file, locator: TOMLKeyLocator(source: source)), table: table, path: [])
    }
}

/// One table of a `ConfigDocument`, knowing where it stands in the file.
public struct ConfigTable {
    final class Context {
        let file: String
        let locator: TOMLKeyLocator
        init(file: String, locator: TOMLKeyLocator) {
            self.file = file
            self.locator = locator
        }
    }

    let context: Context
    let table: TOMLTable
    public let path: [TOMLKeyLocator.Segment]
    /// Per segment of `path`, the name of that table's element if it has one: errors name
    /// `node "alpha".protocl`, which the reader can find, rather than `node[1].protocl`.
    let labels: [String?]

    init(context: Context, table: TOMLTable, path: [TOMLKeyLocator.Segment], labels: [String?] = []) {
        self.context = context
        self.table = table
        self.path = path
        self.labels = labels
    }

    public var keys: [String] { table.keys }

    public func contains(_ key: String) -> Bool { table[key] != nil }

    /// An error about `key` of this table (or the table itself when nil), located.
    public func error(_ key: String?, _ message: String) -> ConfigError {
        let names = path.enumerated().map { i, s in
            if i < labels.count, let label = labels[i] { return "\(s.name) \"\(label)\"" }
            return s.index.map { "\(s.name)[\($0)]" } ?? s.name
        } + [key].compactMap { $0 }
        let line = context.locator.line(of: key, in: path) ?? context.locator.line(of: nil, in: path)
        return ConfigError(file: context.file, line: line, key: names.joined(separator: "."), message: message)
    }

    /// Rejects keys outside `allowed`, each one named, suggesting the closest allowed one.
    public func checkKeys(allowed: [String]) throws {
        var problems = ConfigProblems()
        for key in table.keys.sorted() where !allowed.contains(key) {
            let hint = NameSuggestion.closest(to: key, in: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
            problems.check { throw error(key, "unknown key\(hint)") }
        }
        try problems.throwIfAny()
    }

    public func string(_ key: String) throws -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw error(key, "must be a string") }
        return text
    }

    public func strings(_ key: String) throws -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw error(key, "must be an array of strings") }
        return try array.map { element in
            guard let text = element.string else { throw error(key, "must be an array of strings") }
            return text
        }
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else { throw error(key, "must be true or false") }
        return flag
    }

    public func int(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int else { throw error(key, "must be a whole number") }
        guard range.contains(number) else {
            throw error(key, "must be from \(range.lowerBound) to \(range.upperBound) (got \(number))")
        }
        return number
    }

    public func number(_ key: String, range: ClosedRange<Double>) throws -> Double? {
        guard let value = table[key] else { return nil }
        guard let number = value.double ?? value.int.map(Double.init) else { throw error(key, "must be a number") }
        guard range.contains(number) else {
            throw error(key, "must be from \(range.lowerBound) to \(range.upperBound) (got \(number))")
        }
        return number
    }

    public func table(_ key: String) throws -> ConfigTable? {
        guard let value = table[key] else { return nil }
        guard let inner = value.table else { throw error(key, "must be a table ([\(key)])") }
        return ConfigTable(context: context, table: inner, path: path + [TOMLKeyLocator.Segment(key)], labels: labels + [nil])
    }

    public func tables(_ key: String) throws -> [ConfigTable] {
        guard let value = table[key] else { return [] }
        guard let array = value.array else { throw error(key, "must be an array of tables ([[\(key)]])") }
        return try array.enumerated().map { index, element in
            guard let inner = element.table else { throw error(key, "must be an array of tables ([[\(key)]])") }
            let label = inner["name"]?.string.map { TextSanitizer.clean($0, maximumLength: 64) }
            return ConfigTable(context: context, table: inner, path: path + [TOMLKeyLocator.Segment(key, index)], labels: labels + [label])
        }
    }
}

extension ConfigTable {
    /// A value that must be one of an enum's raw values; the error lists them.
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type = T.self) throws -> T? where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            let names = T.allCases.map { "\"\($0.rawValue)\"" }
            throw error(key, "must be \(names.dropLast().joined(separator: ", ")) or \(names.last ?? "") (got \"\(text)\")")
        }
        return value
    }
}

