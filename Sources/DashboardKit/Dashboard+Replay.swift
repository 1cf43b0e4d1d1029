import ClusterModel

extension Dashboard {
    /// The replay's keys (`thrifttop replay` on a terminal); nil: not a replay, or not one of
    /// them. None of them does anything in a live dashboard, so they clash with nothing there.
    static func handleReplayKey(_ key: Key, _ state: inout DashboardState) -> [DashboardEffect]? {
        guard var playback = state.replay else { return nil }
        defer { state.replay = playback }
        // A click on the timeline goes to that moment, paused.
        if case let .click(x, y) = key, y == 0, let time = TimelineWidget.time(atColumn: x, width: state.width, playback) {
            playback.move(to: time)
            playback.paused = true
            state.status = StatusMessage("at \(Format.clock(playback.at)) UTC (space plays)")
            return []
        }
        guard case let .character(c) = key else { return nil }
        switch c {
        case " ", "p":
            if playback.paused && playback.at >= playback.end {
                state.status = StatusMessage("at the end of the recording: ( { , go back, :goto TIME jumps")
                return []
            }
            playback.paused.toggle()
            state.status = StatusMessage(playback.paused ? "paused at \(Format.clock(playback.at)) (space plays)" : "playing ×\(playback.speed)")
        case ",", ".":
            playback.paused = true
            playback.pending = .step(forward: c == ".")
        case "(", ")": playback.move(by: c == "(" ? -10 : 10)
        case "{", "}": playback.move(by: c == "{" ? -60 : 60)
        case "x":
            playback.nextSpeed()
            state.status = StatusMessage("speed ×\(playback.speed)")
        case "'", "\"":
            let node = markScope(state)
            guard let mark = playback.jump(forward: c == "'", node: node) else {
                let whose = node.map { " of \($0)" } ?? ""
                state.status = StatusMessage("no \(c == "'" ? "later" : "earlier") state change or operator action\(whose) in the recording", .failure)
                return []
            }
            state.status = StatusMessage("\(Format.clock(mark.time)) \(mark.node.map { "\($0): " } ?? "")\(mark.message)")
        default: return nil
        }
        return []
    }

    /// Whose changes `'` and `"` jump to: the node in the detail view, or the selected one while
    /// the event log shows only its events (`f`); anyone's otherwise.
    static func markScope(_ state: DashboardState) -> String? {
        if case let .detail(name) = state.view { return name }
        return state.log.selectedNodeOnly ? state.selectedNode : nil
    }

    /// `:goto TIME`: nil when the line is not a goto.
    static func gotoCommand(_ text: String, _ state: inout DashboardState) -> Result<Void, OperatorCommandLine.ParseError>? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard words.first?.lowercased() == "goto" else { return nil }
        guard var playback = state.replay else { return .failure(.init(message: "goto works in a replay (thrifttop replay FILE)")) }
        guard words.count == 2, let time = ReplayPlayback.time(words[1], start: playback.start) else {
            return .failure(.init(message: "goto TIME: HH:MM[:SS] UTC, an RFC 3339 time or +SECONDS from the start"))
        }
        guard time >= playback.start.rounded(.down), time <= playback.end + 1 else {
            return .failure(.init(message: "\(words[1]) is outside the recording (\(Format.clock(playback.start))–\(Format.clock(playback.end)) UTC)"))
        }
        playback.move(to: time)
        playback.paused = true
        state.replay = playback
        state.status = StatusMessage("at \(Format.clock(playback.at)) UTC (space plays)")
        return .success(())
    }
}
