import ClusterModel

/// The `:` command line: parsing `drain NAME [force]`, `undrain NAME`, `weight NAME N [force]`,
/// `reset NAME` and `undo` into an `OperatorCommand`, and Tab completion of verbs and node names.
/// `reload` (re-read the cluster file) is not an operator command: `isReload` tells it apart.
/// Errors are sentences for the status row, with "did you mean" for near misses.
public enum OperatorCommandLine {
    public static let verbs = ["drain", "undrain", "weight", "reset", "undo", "reload", "sort", "help", "quit"]

    public static let usage = "drain NAME [force] · undrain NAME · weight NAME N [force] · reset NAME · undo · reload · sort COLUMN · help · q"

    /// `reload`: the dashboard re-reads its cluster file (`DashboardEffect.reload`).
    public static func isReload(_ text: String) -> Bool {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() } == ["reload"]
    }

    /// Why a command line was rejected.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public static func parse(_ text: String, nodes: [String]) -> Result<OperatorCommand, ParseError> {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let verb = words.first?.lowercased() else { return .failure(ParseError(message: "type a command: \(usage)")) }
        let args = Array(words.dropFirst())
        func node(_ usageText: String) -> Result<String, ParseError> {
            guard let name = args.first else { return .failure(ParseError(message: "\(verb) needs a node name: \(usageText)")) }
            guard nodes.contains(name) else {
                let hint = NameSuggestion.closest(to: name, in: nodes).map { " (did you mean \"\($0)\"?)" } ?? ""
                return .failure(ParseError(message: "no node named \"\(name)\"\(hint)"))
            }
            return .success(name)
        }
        func tooMany(_ allowed: Int, _ usageText: String) -> ParseError? {
            args.count > allowed ? ParseError(message: "too many arguments: \(usageText)") : nil
        }
        switch verb {
        case "drain":
            let u = "drain NAME [force]"
            if args.count == 2, !isForce(args[1]) {
                return .failure(ParseError(message: "unknown option \"\(args[1])\": \(u)"))
            }
            if let e = tooMany(2, u) { return .failure(e) }
            return node(u).map { .drain(node: $0, force: args.count == 2) }
        case "undrain":
            if let e = tooMany(1, "undrain NAME") { return .failure(e) }
            return node("undrain NAME").map { .undrain(node: $0) }
        case "reset":
            if let e = tooMany(1, "reset NAME") { return .failure(e) }
            return node("reset NAME").map { .resetWeight(node: $0) }
        case "weight":
            let u = "weight NAME N [force] (N from \(OperatorCommand.weightRange.lowerBound) to \(OperatorCommand.weightRange.upperBound))"
            if let e = tooMany(3, u) { return .failure(e) }
            if args.count == 3, !isForce(args[2]) { return .failure(ParseError(message: "unknown option \"\(args[2])\": \(u)")) }
            return node(u).flatMap { name in
                guard args.count >= 2 else { return .failure(ParseError(message: "weight needs a number: \(u)")) }
                guard let n = Int(args[1]), OperatorCommand.weightRange.contains(n) else {
                    return .failure(ParseError(message: "the weight must be a whole number from 0 to 1000 (got \"\(args[1])\")"))
                }
                return .success(.setWeight(node: name, weight: n, force: args.count == 3))
            }
        case "undo":
            if !args.isEmpty { return .failure(ParseError(message: "undo takes no arguments")) }
            return .success(.undo)
        case "reload":
            // A bare `reload` never gets here (`isReload`): it is the loop's, not the pool's.
            return .failure(ParseError(message: "reload takes no arguments"))
        default:
            let hint = NameSuggestion.closest(to: verb, in: verbs).map { " (did you mean \"\($0)\"?)" } ?? ""
            return .failure(ParseError(message: "unknown command \"\(verb)\"\(hint); commands: \(usage)"))
        }
    }

    private static func isForce(_ word: String) -> Bool { ["force", "--force", "-f"].contains(word.lowercased()) }

    /// Tab: completes the word being typed (a verb first, then a node name) to the longest
    /// common prefix of what it could be; a unique match gets a trailing space. Returns the new
    /// text and, when several remain, the candidates to show.
    public static func complete(_ text: String, nodes: [String]) -> (text: String, candidates: [String]) {
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if text.isEmpty || text.hasSuffix(" ") { words.append("") }
        let partial = words.last ?? ""
        let pool: [String]
        switch words.count {
        case 1: pool = verbs
        case 2 where words[0].lowercased() == "sort": pool = NodeColumn.allCases.filter { $0.sortKey != nil }.map(\.commandName)
        case 2 where !["undo", "reload", "help", "quit"].contains(words[0].lowercased()): pool = nodes.sorted()
        case 3 where words[0].lowercased() == "drain": pool = ["force"]
        case 4 where words[0].lowercased() == "weight": pool = ["force"]
        default: return (text, [])
        }
        let matches = pool.filter { $0.hasPrefix(partial) }
        guard !matches.isEmpty else { return (text, []) }
        let prefix = matches.dropFirst().reduce(matches[0]) { common, next in
            String(zip(common, next).prefix { $0 == $1 }.map(\.0))
        }
        let head = words.dropLast().map { $0 + " " }.joined()
        if matches.count == 1 { return (head + prefix + " ", []) }
        return (head + prefix, matches)
    }
}
