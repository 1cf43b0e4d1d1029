import ClusterModel

/// The help overlay (`?`): every key, grouped, in a centred box that scrolls when the terminal is
/// short. In read-only mode the operator actions are left out: help never offers what the keys
/// will not do.
struct HelpOverlay {
    var readOnly: Bool
    var scroll: Int
    /// Attached to several clusters: the keys that switch between them are listed.
    var clusters = false
    /// A recording replayed: its keys are listed, and no action.
    var replay = false

    init(readOnly: Bool, scroll: Int, clusters: Bool = false, replay: Bool = false) {
        self.readOnly = readOnly
        self.scroll = scroll
        self.clusters = clusters
        self.replay = replay
    }

    /// The help for the dashboard in `state`: its mode, its clusters, its scroll.
    init(state: DashboardState) {
        self.init(readOnly: state.readOnly, scroll: state.scroll.help, clusters: state.clusters.names.count > 1, replay: state.replay != nil)
    }

    static func entries(readOnly: Bool, clusters: Bool = false, replay: Bool = false) -> [(section: String, keys: [(String, String)])] {
        var sections: [(String, [(String, String)])] = [
            ("Move", [
                ("↑ k  ↓ j", "select the previous / next row, or scroll"),
                ("PgUp PgDn", "a page up / down"),
                ("g Home  G End", "first / last row"),
                ("Tab", "switch pane: nodes ⇄ events"),
                ("Enter", "node details (Esc, Enter or ← back)"),
                ("m", "methods: each method's calls, errors, latency; Enter per node"),
            ]),
            ("View", [
                ("/", "filter the rows by text, nodes or methods (Enter keeps, Esc clears)"),
                ("s  S", "sort by the next column on screen / reverse the order"),
                ("Shift+letter", "sort by that column on screen (again: reverse):"),
                ("  H N A F", "health (state), name, address, fb303"),
                ("  L P B R", "p50, p99, heartbeats, retries"),
                ("  I W % V", "in flight, weight, share, avail"),
                ("  T E", "tls, last error"),
                (":sort COLUMN", "sort by a column by name; :sort alone is worst first (the default)"),
                (":export FILE.csv", "the table as shown, filter and sort applied (or FILE.json)"),
                ("e", "event log: warnings and errors only"),
                ("f", "event log: the selected node only"),
                ("p", "pause the display (the frozen snapshot stays)"),
                ("Ctrl-L", "repaint the screen"),
                ("?  F1  :help", "this help"),
                ("q  F10  :q", "quit"),
            ]),
        ]
        if replay {
            // p plays and pauses a replay (below); it freezes nothing.
            sections[1].1.removeAll { $0.0 == "p" }
            sections.append(("Replay (the timeline: ┃ a state change, ◆ an operator action, ● here)", [
                ("space  p", "play / pause"),
                (",  .", "a second (a recorded frame) back / forward, paused"),
                ("(  )", "10 seconds back / forward"),
                ("{  }", "a minute back / forward"),
                ("x", "speed ×1, ×4, ×16"),
                ("'  \"", "the next / previous state change or operator action: of the node in"),
                ("", "  its details, or the selected one with f; of any node otherwise"),
                (":goto TIME", "go to HH:MM[:SS] UTC, an RFC 3339 time or +SECONDS from the start"),
                ("click", "on the timeline: go to that moment"),
            ]))
        }
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
        sections += legend
        return sections
    }

    /// What every header figure, glyph and column means.
    static var legend: [(section: String, keys: [(String, String)])] {
        [
            ("Header", [
                ("routable N/M", "nodes taking new calls (serving, not drained, weight > 0, not ejected) of all"),
                ("calls/s", "calls through the balancer, averaged over ~3 s"),
                ("ok 99.2% 1m", "calls that succeeded in the last minute (an exception reply fails)"),
                ("p99", "answered calls' 99th percentile latency over the last minute, retries included"),
                ("retries/s", "attempts sent again to another node"),
                ("PANIC k/M", "fewer routable than panic_threshold of the nodes in rotation: what the"),
                ("", "  routable nodes cannot take overflows to connected nodes that are not up"),
                ("@ ENDPOINT", "attached: the daemon these figures come from"),
                ("PAUSED  read-only", "p froze the display / actions are off (--read-only)"),
                ("balancer", "how calls pick a node; clients → where the listeners take calls"),
            ]),
            ("States", [
                ("● up ◐ degraded", "serving (fb303 ALIVE / WARNING)"),
                ("◔ starting", "fb303 STARTING: not yet routable"),
                ("◌ drained", "drained by an operator (◌ stopping: the server said STOPPING)"),
                ("◍ suspect", "a heartbeat failed or is late; down after `fall` failures"),
                ("✖ down ? unknown", "refused, reset, or `fall` failures / not heard from yet"),
            ]),
            ("Columns", [
                ("STATE", "the node's state (above); the table starts worst first"),
                ("NAME  ADDRESS", "the node's name and host:port, as configured"),
                ("FB303", "the last getStatus answer and its age; dimmed once the node is down"),
                ("—", "in FB303: a down node that never answered getStatus"),
                ("▲ ▼", "after a heading: the table is sorted by it, up / down"),
                ("P50  P99", "latency of heartbeats and calls over the last 30–60 s"),
                ("!", "after P50: slow node, \(SlowNode.rule)"),
                ("LATENCY", "the last samples, oldest at the left"),
                ("HB OK/FAIL", "heartbeats answered / failed (refused connects included)"),
                ("RETRIES", "calls that failed here and were retried elsewhere"),
                ("INFL", "calls in flight on the node now"),
                ("WEIGHT", "its balancer weight; 110* differs from the configured weight"),
                ("SHARE", "its share of the calls sent in the last \(NodeSnapshot.trafficShareSeconds) seconds"),
                ("AVAIL", "its heartbeats answered, of the last 300"),
                ("TLS", "version and days left on its certificate (⚠ soon, ✗ expired)"),
                ("LAST ERROR", "with its age; dimmed once the node serves again and it is \(Format.fixed(NodeSnapshot.errorNewsSeconds, 0)) s old;"),
                ("", "  the selected node's whole error is on the line under the table"),
            ]),
        ]
    }

    /// The keys' column: the longest key and a space, and one to spare.
    static let keyWidth = 18

    var lines: [Line] {
        var out: [Line] = []
        if replay {
            out.append(Line("A replay: the cluster as recorded, at the moment on the timeline; it takes no action.", .warning))
        } else if readOnly {
            out.append(Line("Read-only: operator actions are disabled (--read-only).", .warning))
        }
        for (section, keys) in Self.entries(readOnly: readOnly, clusters: clusters, replay: replay) {
            if !out.isEmpty { out.append(Line()) }
            out.append(Line(section, .title, bold: true))
            for (key, meaning) in keys {
                out.append(Line([Span(Box.pad(key, Self.keyWidth), .key, bold: true), Span(meaning)]))
            }
        }
        return out
    }

    func render(_ area: Rect, into screen: inout Screen) {
        let content = lines
        // As wide as the longest line, within the screen: a legend cut short explains nothing.
        let widest = content.map(\.width).max() ?? 80
        let box = area.centered(width: min(area.width - 2, max(84, widest + 4)), height: min(area.height - 2, content.count + 2))
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
