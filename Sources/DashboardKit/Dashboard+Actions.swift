import ClusterModel

extension Dashboard {
    /// The node an action key acts on: the one in the detail view, else the selected row.
    static func target(_ state: DashboardState, _ snapshot: ClusterSnapshot) -> NodeSnapshot? {
        switch state.view {
        case let .detail(name): return snapshot.node(named: name)
        case .methods, .method: return nil
        case .main:
            guard !NodeFilter.rows(snapshot, state).isEmpty, let name = state.selectedNode else { return nil }
            return snapshot.node(named: name)
        }
    }

    /// The operator action keys; nil when `key` is not one of them.
    static func handleAction(_ key: Key, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) -> [DashboardEffect]? {
        guard case let .character(c) = key, "duw=z+-<>".contains(c) else { return nil }
        if state.readOnly {
            state.status = readOnlyNote(state)
            return []
        }
        if c == "z" {
            propose(.undo, &state, snapshot)
            return []
        }
        guard let node = target(state, snapshot) else {
            state.status = StatusMessage("no node selected", .failure)
            return []
        }
        switch c {
        case "d": propose(.drain(node: node.name), &state, snapshot)
        case "u": propose(.undrain(node: node.name), &state, snapshot)
        case "=": propose(.resetWeight(node: node.name), &state, snapshot)
        case "w": state.overlay = .prompt(Prompt(.weight(node: node.name)))
        case "+": propose(.setWeight(node: node.name, weight: Self.clampedWeight(node.weight + 10)), &state, snapshot)
        case "-": propose(.setWeight(node: node.name, weight: Self.clampedWeight(node.weight - 10)), &state, snapshot)
        case ">": propose(.setWeight(node: node.name, weight: Self.clampedWeight(node.weight + 1)), &state, snapshot)
        case "<": propose(.setWeight(node: node.name, weight: Self.clampedWeight(node.weight - 1)), &state, snapshot)
        default: break
        }
        return []
    }

    /// Opens the confirmation dialog for `command`, unless it would change nothing (then says so).
    /// `+`/`-`/`<`/`>` stop at the ends of the weight range instead of asking for the impossible.
    private static func clampedWeight(_ weight: Int) -> Int {
        min(OperatorCommand.weightRange.upperBound, max(OperatorCommand.weightRange.lowerBound, weight))
    }

    static func propose(_ command: OperatorCommand, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) {
        if state.readOnly {
            state.status = readOnlyNote(state)
            return
        }
        if command == .undo {
            // The authority keeps each operator's history; without knowing who we are to it yet,
            // the dialog asks and the authority decides.
            if let me = state.operatorName, snapshot.undoable[me] == nil {
                state.status = StatusMessage("nothing of yours to undo (\(me))")
            } else {
                state.overlay = .confirm(ConfirmRequest(command))
            }
            return
        }
        // The same rules the authority decides by: what they would refuse is shown before asking.
        switch OperatorRules.decide(command, nodes: snapshot.nodes.map(\.operatorView), settings: snapshot.rules) {
        case .change:
            state.overlay = .confirm(ConfirmRequest(command))
        case let .belowFloor(reason):
            // A reset to a configured weight of 0 is forced as that weight.
            let forced = command.forced ?? command.node.flatMap(snapshot.node(named:)).map { .setWeight(node: $0.name, weight: $0.configuredWeight, force: true) }
            state.overlay = .refusal(Refusal(command, reason: reason, forced: forced))
        case let .refuse(reason):
            // Nothing to do (already drained, that weight already): said as the authority would, no dialog.
            state.status = StatusMessage(reason)
        }
    }

    static func handleConfirm(_ key: Key, _ request: ConfirmRequest, _ state: inout DashboardState) -> [DashboardEffect] {
        switch key {
        case .character("y"), .character("Y"), .enter:
            state.overlay = nil
            state.status = StatusMessage("\(request.command): sent…")
            return [.execute(OperatorRequest(request.command))]
        case .character("n"), .character("N"), .escape, .character("q"):
            state.overlay = nil
            state.status = StatusMessage("cancelled: \(request.command)")
            return []
        default:
            // Everything else, navigation included, is ignored: the dialog's target stays put.
            return []
        }
    }

    /// The refusal dialog: `f` makes an action the capacity floor refused anyway (forced); `h`
    /// makes one the unreachable shared store could not take on this instance only
    /// (`force_local`), to be written to the store when it is back.
    static func handleRefusal(_ key: Key, _ refusal: Refusal, _ state: inout DashboardState) -> [DashboardEffect] {
        switch key {
        case let .character(c) where refusal.forced != nil && (c == "f" || c == "F"):
            state.overlay = .confirm(ConfirmRequest(refusal.forced!))
            return []
        case let .character(c) where refusal.forced != nil && (c == "h" || c == "H"):
            return []
        case .character("h"), .character("H"):
            state.overlay = nil
            state.status = StatusMessage("\(refusal.command) here only: sent…")
            return [.execute(OperatorRequest(refusal.command, forceLocal: true))]
        case .character("n"), .character("N"), .escape, .character("q"), .enter:
            state.overlay = nil
            state.status = StatusMessage("\(refusal.command) refused: \(refusal.reason)", .failure)
            return []
        default:
            return []
        }
    }

    // MARK: - prompts

    static func handlePrompt(_ key: Key, _ prompt: Prompt, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) -> [DashboardEffect] {
        var prompt = prompt
        switch key {
        case .escape:
            if case .filter = prompt.kind { state.filter = "" }
            state.overlay = nil
            return []
        case .enter:
            state.overlay = nil
            if case .command = prompt.kind, let effects = viewCommand(prompt, &state, snapshot) { return effects }
            if case .command = prompt.kind, OperatorCommandLine.isReload(prompt.text) {
                guard !state.readOnly else {
                    state.status = readOnlyNote(state)
                    return []
                }
                state.status = StatusMessage("reloading the cluster file…", .info)
                return [.reload]
            }
            submit(prompt, &state, snapshot)
            return []
        case .tab:
            if case .command = prompt.kind {
                let (text, candidates) = OperatorCommandLine.complete(prompt.text, nodes: snapshot.nodes.map(\.name))
                prompt.text = text
                prompt.candidates = candidates
                prompt.error = nil
            }
        case .backspace, .delete:
            guard !prompt.text.isEmpty else {
                // Backspace on an empty line leaves it, as in vi and less.
                state.overlay = nil
                return []
            }
            prompt.text.removeLast()
            prompt.error = nil
            prompt.candidates = []
        case .character(let c) where c == "\u{15}":  // Ctrl-U: clear the line
            prompt.text = ""
            prompt.error = nil
            prompt.candidates = []
        case .up, .down:
            // While filtering, the arrows still move the selection, so one can filter and pick.
            if case .filter = prompt.kind { moveSelection(key == .up ? -1 : 1, &state, snapshot) }
        case .character(let c) where !(c.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false):
            // After an error, typing starts a new line (Backspace still edits the old one).
            if prompt.error != nil { prompt.text = "" }
            prompt.text.append(c)
            prompt.error = nil
            prompt.candidates = []
        default:
            break
        }
        if case .filter = prompt.kind { state.filter = prompt.text }
        state.overlay = .prompt(prompt)
        return []
    }

    /// The command line's view commands, which read-only mode (and a replay) allows too:
    /// `q`/`quit`, `help`, `sort COLUMN` (`sort` alone: worst first), `export FILE` and, in a
    /// replay, `goto TIME`. Nil: not one of them.
    private static func viewCommand(_ prompt: Prompt, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) -> [DashboardEffect]? {
        let words = prompt.text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        switch gotoCommand(prompt.text, &state) {
        case .success?: return []
        case let .failure(error)?: return failed(prompt, error.message, &state)
        case nil: break
        }
        switch words.first {
        case "export":
            let path = String(prompt.text.trimmed.dropFirst("export".count)).trimmed
            switch TableExport.contents(path: path, snapshot: snapshot, state: state) {
            case let .success(contents): return [.write(path: path, contents: contents, what: "\(NodeFilter.rows(snapshot, state).count) rows")]
            case let .failure(error): return failed(prompt, error.message, &state)
            }
        case "q", "quit", "q!", "wq": return [.quit]
        case "help", "h", "?":
            state.overlay = .help
            state.scroll.help = 0
            return []
        case "sort":
            guard words.count <= 2 else { return failed(prompt, "sort takes one column: sort COLUMN", &state) }
            guard words.count == 2 else {
                state.sort = .worstFirst
                state.status = StatusMessage("sorted worst first (state, then p99)")
                return []
            }
            guard let column = NodeColumn.named(words[1]) else {
                let names = NodeColumn.allCases.filter { $0.sortKey != nil }.map(\.commandName)
                return failed(prompt, "no column \"\(words[1])\"; columns: \(names.joined(separator: " "))", &state)
            }
            state.sort = NodeSort(column: column, descending: false)
            return []
        default: return nil
        }
    }

    /// The line stays open showing what was wrong.
    private static func failed(_ prompt: Prompt, _ message: String, _ state: inout DashboardState) -> [DashboardEffect] {
        var prompt = prompt
        prompt.error = message
        prompt.candidates = []
        state.overlay = .prompt(prompt)
        return []
    }

    private static func submit(_ prompt: Prompt, _ state: inout DashboardState, _ snapshot: ClusterSnapshot) {
        var prompt = prompt
        switch prompt.kind {
        case .filter:
            state.filter = prompt.text
        case .command:
            var parsed = OperatorCommandLine.parse(prompt.text, nodes: snapshot.nodes.map(\.name))
            switch clusterCommand(prompt.text, &state) {
            case .success?: return
            case let .failure(error)?: parsed = .failure(error)
            case nil where state.readOnly: parsed = .failure(.init(message: readOnlyNote(state).text))
            case nil: break
            }
            switch parsed {
            case let .success(command): propose(command, &state, snapshot)
            case let .failure(error):
                // The line stays open with its text, so a typo is fixed, not retyped.
                prompt.error = error.message
                prompt.candidates = []
                state.overlay = .prompt(prompt)
            }
        case let .weight(node):
            guard let weight = Int(prompt.text.trimmed), OperatorCommand.weightRange.contains(weight) else {
                prompt.error = "a whole number from \(OperatorCommand.weightRange.lowerBound) to \(OperatorCommand.weightRange.upperBound), please"
                state.overlay = .prompt(prompt)
                return
            }
            propose(.setWeight(node: node, weight: weight), &state, snapshot)
        }
    }
}
