import ClusterModel

/// The help overlay (`?`): every key, grouped, in a centred box that scrolls when the terminal is
/// short. In read-only mode the operator actions are left out: help never offers what the keys
/// will not do.
struct HelpOverlay {
    var readOnly: Bool
    var scroll: Int
    /// Attached to several clusters: the keys that switch between them are listed.
    var clusters = false

    static func entries(readOnly: Bool, clusters: Bool = false) -> [(section: String, keys: [(String, String)])] {
        var sections: [(String, [(String, String)])] = [
            ("Move", [
                ("↑ k  ↓ j", "select the previous / next row, or scroll"),
                ("PgUp PgDn", "a page up / down"),
                ("g Home  G End", "first / last row"),
                ("Tab", "switch pane: nodes ⇄ events"),
                ("Enter", "node details (Esc, Enter or ← back)"),
            ]),
            ("View", [
                ("/", "filter nodes by text (Enter keeps, Esc clears)"),
                ("s  S", "sort by the next column / reverse the order"),
                ("e", "event log: warnings and errors only"),
                ("f", "event log: the selected node only"),
                ("p", "pause the display (the frozen snapshot stays)"),
                ("Ctrl-L", "repaint the screen"),
                ("?  F1", "this help"),
                ("q  F10", "quit"),
            ]),
        ]
        if clusters {
            sections.append(("Clusters (one line each at the top)", [
                ("1 … 9", "show that cluster"),
                ("[  ]", "the previous / next cluster"),
                (":cluster NAME", "show the cluster named NAME (a unique prefix will do)"),
            ]))
        }
        if !readOnly {
            sections.append(("Act (each asks for confirmation)", [
                ("d  u", "drain / undrain the selected node"),
                ("+  -", "weight +10 / −10"),
                (">  <", "weight +1 / −1"),
                ("w", "set the weight (\(OperatorCommand.weightRangeText))…"),
                ("=", "reset the weight to the configured one"),
                ("z", "undo your own last operator action"),
                (":", "command line: drain, undrain, weight, reset, undo (Tab completes)"),
                (":reload", "re-read the cluster file (attached: the daemon re-reads its own)"),
                ("y Enter  n Esc", "in a dialog: confirm / cancel"),
                ("f  h", "in a refusal: force past the floor / do it here only"),
            ]))
        }
        sections.append(("Mouse (off with --no-mouse)", [
            ("click", "select a row; on a heading, sort by that column"),
            ("wheel", "scroll the pane under the pointer"),
        ]))
        return sections
    }

    var lines: [Line] {
        var out: [Line] = []
        if readOnly { out.append(Line("Read-only: operator actions are disabled (--read-only).", .warning)) }
        for (section, keys) in Self.entries(readOnly: readOnly, clusters: clusters) {
            if !out.isEmpty { out.append(Line()) }
            out.append(Line(section, .title, bold: true))
            for (key, meaning) in keys {
                out.append(Line([Span(Box.pad(key, 16), .key, bold: true), Span(meaning)]))
            }
        }
        return out
    }

    func render(_ area: Rect, into screen: inout Screen) {
        let content = lines
        let box = area.centered(width: min(area.width - 2, 84), height: min(area.height - 2, content.count + 2))
        let visible = max(0, box.height - 2)
        let offset = min(scroll, max(0, content.count - visible))
        var title = Line([Span("Help", .title, bold: true), Span(" · Esc closes", .dim)])
        if content.count > visible { title = title + Line(" · j/k scroll \(offset + 1)–\(offset + visible)/\(content.count)", .dim) }
        Box.draw(box, title: title, role: .borderFocused, fill: .dialog, into: &screen)
        let inside = box.inset(1)
        for i in 0..<visible where offset + i < content.count {
            screen.put(content[offset + i].onDialog, x: inside.x + 1, y: inside.y + i, maxWidth: inside.width - 1)
        }
    }
}

extension Line {
    /// Plain text of this line drawn in the dialog role, so it sits on the dialog background.
    var onDialog: Line {
        Line(spans.map { span in
            var s = span
            if s.style.role == .text { s.style.role = .dialog }
            return s
        })
    }
}
