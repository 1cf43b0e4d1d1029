/// A configuration problem, located: file, line (when known) and the key path, e.g.
/// `demo/scenario.toml:14: node[2].error_rate: must be from 0 to 1 (got 1.5)`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var key: String
    public var message: String
    /// The other problems found in the same file, each reported on its own line.
    public var more: [ConfigError] = []

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// This problem and every other one, in file order.
    public var all: [ConfigError] {
        var first = self
        first.more = []
        return [first] + more
    }

    /// One line per problem.
    public var description: String {
        all.map { error in
            let place = error.line.map { "\(error.file):\($0)" } ?? error.file
            return error.key.isEmpty ? "\(place): \(error.message)" : "\(place): \(error.key): \(error.message)"
        }.joined(separator: "\n")
    }
}

/// Gathers a file's problems so that one run reports them all, not only the first.
public struct ConfigProblems {
    /// The problems gathered so far, in the order they were found.
    public private(set) var errors: [ConfigError] = []

    public init() {}

    /// Runs `body`; an error it throws is kept (nil returned) and the caller carries on.
    public mutating func check<T>(_ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch let error as ConfigError {
            errors += error.all
        } catch {
            errors.append(ConfigError(file: errors.first?.file ?? "config", line: nil, key: "", message: "\(error)"))
        }
        return nil
    }

    /// Throws every problem gathered, as one error, if there is any.
    public func throwIfAny() throws {
        guard var first = errors.first else { return }
        let sorted = errors.enumerated().sorted { ($0.element.line ?? .max, $0.offset) < ($1.element.line ?? .max, $1.offset) }.map(\.element)
        first = sorted[0]
        first.more = Array(sorted.dropFirst())
        throw first
    }
}
