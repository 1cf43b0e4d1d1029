import ClusterModel

/// The bottom row: the prompt being typed, else the last status message, else key hints.
struct StatusBar {
    var state: DashboardState

    func render(_ row: Rect, into screen: inout Screen) {
        guard !row.isEmpty else { return }
        if case let .prompt(prompt) = state.overlay {
            renderPrompt(prompt, row, into: &screen)
            return
        }
        var x = row.x
        if let status = state.status {
            let (mark, role): (String, ThemeRole) = switch status.kind {
            case .info: ("", .notice)
            case .success: ("✔ ", .up)
            case .failure: ("✖ ", .error)
            }
            x += screen.put(Line([Span(" " + mark + status.text + "  ", role, bold: status.kind == .failure)]), x: x, y: row.y, maxWidth: row.width)
        }
        screen.put(hints, x: x, y: row.y, maxWidth: row.maxX - x)
    }

    private var hints: Line {
        // Help and quit first: they are what a newcomer looks for, and the row is cut at the right.
        var pairs: [(String, String)] = [("?", "help"), ("q", "quit"), ("⏎", "details"), ("m", "methods"), ("/", "filter"), ("s", "sort")]
        if let playback = state.replay {
            // A replay's own keys instead of the actions it does not take.
            pairs += [("space", playback.paused ? "play" : "pause"), (", .", "step"), ("( )", "±10s"), ("{ }", "±1m"), ("x", "speed"),
                      ("' \"", "next/prev change"), (":goto", "time")]
            var spans: [Span] = [Span(" ")]
            for (key, meaning) in pairs { spans += [Span(key, .key, bold: true), Span(" " + meaning + "  ", .dim)] }
            return Line(spans)
        }
        if !state.readOnly {
            pairs += [("d", "drain"), ("u", "undrain"), ("+-", "weight"), ("z", "undo"), (":", "cmd")]
        }
        pairs.append(("p", state.isPaused ? "resume" : "pause"))
        var spans: [Span] = [Span(" ")]
        for (key, meaning) in pairs {
            spans += [Span(key, .key, bold: true), Span(" " + meaning + "  ", .dim)]
        }
        if state.readOnly { spans.append(Span("read-only", .warning, bold: true)) }
        return Line(spans)
    }

    private func renderPrompt(_ prompt: Prompt, _ row: Rect, into screen: inout Screen) {
        let label: String = switch prompt.kind {
        case .filter: "/"
        case .command: ":"
        case let .weight(node): "weight of \(node) (\(OperatorCommand.weightRangeText)): "
        }
        screen.fill(row, with: Cell(" ", style: CellStyle(.input)))
        var x = row.x + screen.put(label + prompt.text, x: row.x, y: row.y, style: CellStyle(.input))
        screen.put("█", x: x, y: row.y, style: CellStyle(.input))  // the cursor: typing goes here
        x += 2
        if let error = prompt.error {
            screen.put("✖ " + error, x: x, y: row.y, maxWidth: row.maxX - x, style: CellStyle(.error, bold: true))
        } else if !prompt.candidates.isEmpty {
            screen.put(prompt.candidates.joined(separator: "  "), x: x, y: row.y, maxWidth: row.maxX - x, style: CellStyle(.dim))
        } else if case .command = prompt.kind, prompt.text.isEmpty {
            screen.put("drain NAME [force] · undrain NAME · weight NAME N [force] · reset NAME · undo   (Tab completes)", x: x, y: row.y, maxWidth: row.maxX - x, style: CellStyle(.dim))
        }
    }
}

/// What a terminal below the minimum size shows: a centred notice, never a garbled dashboard.
struct TooSmallNotice {
    func render(_ area: Rect, into screen: inout Screen) {
        let need = "\(DashboardLayout.minimumWidth)×\(DashboardLayout.minimumHeight)"
        let full = "terminal too small (need \(need))"
        let lines = area.width >= DisplayWidth.of(full)
            ? [full, "now \(area.width)×\(area.height) · q quits"]
            : ["terminal too small", "(need \(need))", "now \(area.width)×\(area.height)"]
        let top = area.y + max(0, (area.height - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            let w = min(area.width, DisplayWidth.of(line))
            screen.put(line, x: area.x + (area.width - w) / 2, y: top + i, maxWidth: area.width, style: CellStyle(i == 0 ? .warning : .dim, bold: i == 0))
        }
    }
}
