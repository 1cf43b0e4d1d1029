import Testing
@testable import DashboardKit

/// Whole screens at fixed sizes from the fixed `Fixture.snapshot`, as rows of text (ratatui's
/// habit). A failing test prints the screen it got, framed, next to the rows it expected.
@Suite("Render")
struct RenderTests {
    /// Renders after feeding `keys` to a fresh state of `width`×`height`, sorted by name (so
    /// keys reach known nodes) or, with `worstFirst`, in the default order.
    func screen(_ keys: [Key], _ width: Int, _ height: Int, readOnly: Bool = false, worstFirst: Bool = false) -> Screen {
        var state = worstFirst ? DashboardState(width: width, height: height, readOnly: readOnly) : DashboardState.byName(width: width, height: height, readOnly: readOnly)
        for key in keys { _ = Dashboard.handle(key, state: &state, snapshot: Fixture.snapshot) }
        return Dashboard.render(Fixture.snapshot, state, width: width, height: height)
    }

    func keys(_ text: String) -> [Key] { text.map { Key.character($0) } }

    /// Nine nodes, one of every health, worst first (the default: health, then p99); at 80 columns
    /// P50 and the address make room for the last error, whose whole text is under the table.
    @Test func mainScreenAt80x24ShowsEveryNodeAndTheNewestEventFirst() {
        expectScreen(screen([], 80, 24, worstFirst: true), [
            " demo │ routable 3/9 │ 1235 calls/s │ ok - 1m │ retries 2.5/s      12:34:56 UTC",
            " ● 2 up ◐ 1 degraded ◔ 1 starting ◌ 2 drained ◍ 1 suspect ✖ 1 down ? 1 unknown",
            "─ Nodes 9/9 ─ sort worst first ─────────────────────────────────────────────────",
            "STATE▲     NAME         P99  INFL WEIGHT  SHARE   AVAIL LAST ERROR",
            "✖ down     zeta-6         -     0    100   0.0%  50.00% 30s ago connection refu…",
            "◍ suspect  epsilon-5  250ms     0    100  25.0%  95.00% 30s ago timeout after 5…",
            "◐ degraded beta-2    31.4ms     0    100  25.0%  97.31%",
            "◔ starting theta-8   4.80ms     0    100   0.0% 100.00%",
            "? unknown  iota-9         -     0    100   0.0%   0.00%",
            "● up       eta-7     4.80ms     0    50*  25.0% 100.00%",
            "● up       alpha-1   4.20ms     2    100  25.0% 100.00%",
            "◌ drained  delta-4   4.80ms     0    100   0.0% 100.00%",
            "◌ drained  gamma-3   4.80ms     3    100   0.0% 100.00%",
            " zeta-6 last error 30s ago connection refused",
            "─ Events 7/7 ───────────────────────────────────────────────────────────────────",
            "12:34:51 ERR! alpha-1   TApplicationException INTERNAL_ERROR: boom",
            "12:34:46 WARN epsilon-5 timeout after 500ms",
            "12:34:36 note gamma-3   drained by operator",
            "12:34:26 ERR! zeta-6    connection refused",
            "12:34:16 WARN beta-2    up → degraded: queue depth high",
            "12:34:06 note theta-8   unknown → starting",
            "12:33:56 info cluster   cluster demo started with 9 nodes",
            "",
            " ? help  q quit  ⏎ details  m methods  / filter  s sort  d drain  u undrain  +-",
        ])
    }

    /// At the minimum size the table scrolls (rows 1–6) and low-priority columns are gone.
    @Test func minimumSize60x15KeepsStateNameP99ShareAndTheLastError() {
        expectScreen(screen([], 60, 15, worstFirst: true), [
            " demo │ routable 3/9 │ 1235 calls/s │ ok - 1m  12:34:56 UTC",
            " ● 2  ◐ 1  ◔ 1  ◌ 2  ◍ 1  ✖ 1  ? 1 │ balancer p2c-peak-ewma",
            "─ Nodes 9/9 ─ sort worst first ─ rows 1–6 ──────────────────",
            "STATE▲     NAME         P99  SHARE LAST ERROR",
            "✖ down     zeta-6         -   0.0% 30s ago connection refus…",
            "◍ suspect  epsilon-5  250ms  25.0% 30s ago timeout after 50…",
            "◐ degraded beta-2    31.4ms  25.0%",
            "◔ starting theta-8   4.80ms   0.0%",
            "? unknown  iota-9         -   0.0%",
            "● up       eta-7     4.80ms  25.0%",
            " zeta-6 last error 30s ago connection refused",
            "─ Events 7/7 ───────────────────────────────────────────────",
            "12:34:51 ERR! alpha-1   TApplicationException INTERNAL_ERROR",
            "12:34:46 WARN epsilon-5 timeout after 500ms",
            " ? help  q quit  ⏎ details  m methods  / filter  s sort  d d",
        ])
    }

    /// Wide enough for every column, the full header and the balancer.
    @Test func wideTerminal200x50ShowsEveryColumn() {
        expectScreen(screen([], 200, 50), [
            " thrifttop │ demo │ routable 3/9 │ 1235 calls/s │ ok - 1m │ retries 2.5/s                                                                                                                  12:34:56 UTC",
            " ● 2 up  ◐ 1 degraded  ◔ 1 starting  ◌ 2 drained  ◍ 1 suspect  ✖ 1 down  ? 1 unknown │ balancer p2c-peak-ewma",
            "─ Nodes 9/9 ─ sort NAME ▲ ──────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────",
            "STATE      NAME▲     ADDRESS       FB303            P50    P99 LATENCY      HB OK/FAIL RETRIES  INFL WEIGHT  SHARE   AVAIL LAST ERROR",
            "● up       alpha-1   10.0.0.1:9090 ALIVE 1s      1.10ms 4.20ms ▂▂▃▂▄█▃▂▂▃▂▂     1200/0       0     2    100  25.0% 100.00%",
            "◐ degraded beta-2    10.0.0.2:9090 WARNING 1s    2.50ms 31.4ms ▂▂▃▂▄█▃▂▂▃▂▂     1200/0       0     0    100  25.0%  97.31%",
            "◌ drained  delta-4   10.0.0.4:9090 ALIVE 1s      1.20ms 4.80ms ▂▂▃▂▄█▃▂▂▃▂▂     1200/0       0     0    100   0.0% 100.00%",
            "◍ suspect  epsilon-5 10.0.0.5:9090 ALIVE 1s     9.90ms!  250ms ▂▂▃▂▄█▃▂▂▃▂▂     1200/0       7     0    100  25.0%  95.00% 30s ago timeout after 500ms",
            "● up       eta-7     10.0.0.7:9090 ALIVE 1s      1.20ms 4.80ms ▂▂▃▂▄█▃▂▂▃▂▂     1200/0       0     0    50*  25.0% 100.00%",
            "◌ drained  gamma-3   10.0.0.3:9090 ALIVE 1s      1.20ms 4.80ms ▂▂▃▂▄█▃▂▂▃▂▂     1200/0       0     3    100   0.0% 100.00%",
            "? unknown  iota-9    10.0.0.9:9090 -                  -      -                  1200/0       0     0    100   0.0%   0.00%",
            "◔ starting theta-8   10.0.0.8:9090 STARTING 1s   1.20ms 4.80ms ▂▂▃▂▄█▃▂▂▃▂▂     1200/0       0     0    100   0.0% 100.00%",
            "✖ down     zeta-6    10.0.0.6:9090 —                  -      -                 1200/14       0     0    100   0.0%  50.00% 30s ago connection refused",
            " alpha-1: no error so far",
            "─ Events 7/7 ───────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────────",
            "12:34:51 ERR! alpha-1   TApplicationException INTERNAL_ERROR: boom",
            "12:34:46 WARN epsilon-5 timeout after 500ms",
            "12:34:36 note gamma-3   drained by operator",
            "12:34:26 ERR! zeta-6    connection refused",
            "12:34:16 WARN beta-2    up → degraded: queue depth high",
            "12:34:06 note theta-8   unknown → starting",
            "12:33:56 info cluster   cluster demo started with 9 nodes",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            " ? help  q quit  ⏎ details  m methods  / filter  s sort  d drain  u undrain  +- weight  z undo  : cmd  p pause",
        ])
    }

    @Test func terminal40x12ShowsTheTooSmallNoticeInsteadOfADashboard() {
        expectScreen(screen([], 40, 12), [
            "",
            "",
            "",
            "",
            "",
            "    terminal too small (need 60×15)",
            "          now 40×12 · q quits",
            "",
            "",
            "",
            "",
            "",
        ])
    }

    @Test func terminal30x8BreaksTheNoticeIntoShortLines() {
        expectScreen(screen([], 30, 8), [
            "",
            "",
            "      terminal too small",
            "         (need 60×15)",
            "           now 30×8",
            "",
            "",
            "",
        ])
    }

    /// Enter on alpha-1: uptime from aliveSince vs wallTime (3h 12m), histogram beside counters at ≥ 100 columns.
    @Test func detailViewShowsFb303FactsHistogramCountersAndRecentErrors() {
        expectScreen(screen([.enter], 100, 30), [
            " thrifttop │ demo │ routable 3/9 │ 1235 calls/s │ ok - 1m │ retries 2.5/s              12:34:56 UTC",
            " ● 2 up  ◐ 1 degraded  ◔ 1 starting  ◌ 2 drained  ◍ 1 suspect  ✖ 1 down  ? 1 unknown",
            "─ Node alpha-1 ─ Esc back ──────────────────────────────────────────────────────────────────────────",
            " ● up  10.0.0.1:9090",
            " Server       demo-alpha  version 1.4.2  up 3h 12m (since 2026-11-21 09:22 UTC)",
            " fb303 status ALIVE 1s ago  serving",
            " Connection   connected · routable",
            " Drain        not drained",
            " Traffic      weight 100 · share 25.0% · in flight 2 · calls 5000 (0 failed) · retries 0",
            " Heartbeats   1200 ok · 0 failed · φ 0.00",
            " Latency      p50 1.10ms  p90 2.20ms  p99 4.20ms  max 8.40ms  ewma 1.10ms  ▂▂▃▂▄█▃▂▂▃▂▂",
            " Routable     3/9 nodes now · if drained 2/9",
            " Availability node 100.00% of its last heartbeats answered",
            "              cluster model now 99.9998% · if drained 99.9980%  1 − Π(1 − Aᵢ) over routable nodes:",
            " Last error   none",
            "",
            " Latency histogram                                 Counters (3)",
            " ≤1.00ms  ██████████████                 400  27%  errors.total   3",
            " ≤2.00ms  ████████████████████████████   800  54%  queue.depth    1",
            " ≤5.00ms  ███████                        200  13%  requests.total 5000",
            " ≤10.0ms  █▊                              50   3%",
            " >10.0ms  ▏                                5   0%",
            "",
            " Recent warnings and errors (1)",
            " 12:34:51 ERR! TApplicationException INTERNAL_ERROR: boom",
            "",
            "",
            "",
            "",
            " ? help  q quit  ⏎ details  m methods  / filter  s sort  d drain  u undrain  +- weight  z undo  : cm",
        ])
    }

    @Test func helpListsEveryKeyGrouped() {
        expectScreen(screen(keys("?"), 90, 40), [
            " thrifttop │ demo │ routable 3/9 │ 1235 calls/s │ ok - 1m │ retries 2.5/s    12:34:56 UTC",
            " ┌─ Help · Esc closes · j/k scroll 1–36/78 ─────────────────────────────────────────────┐",
            "─│ Move                                                                                 │─",
            "S│ ↑ k  ↓ j          select the previous / next row, or scroll                          │",
            "●│ PgUp PgDn         a page up / down                                                   │",
            "◐│ g Home  G End     first / last row                                                   │",
            "◌│ Tab               switch pane: nodes ⇄ events                                        │",
            "◍│ Enter             node details (Esc, Enter or ← back)                                │…",
            "●│ m                 methods: each method's calls, errors, latency; Enter per node      │",
            "◌│                                                                                      │",
            "?│ View                                                                                 │",
            "◔│ /                 filter the rows by text, nodes or methods (Enter keeps, Esc clears)│",
            "✖│ s  S              sort by the next column on screen / reverse the order              │d",
            " │ Shift+letter      sort by that column on screen (again: reverse):                    │",
            "─│   H N A F         health (state), name, address, fb303                               │─",
            "1│   L P B R         p50, p99, heartbeats, retries                                      │",
            "1│   I W % V         in flight, weight, share, avail                                    │",
            "1│   T E             tls, last error                                                    │",
            "1│ :sort COLUMN      sort by a column by name; :sort alone is worst first (the default) │",
            "1│ :export FILE.csv  the table as shown, filter and sort applied (or FILE.json)         │",
            "1│ e                 event log: warnings and errors only                                │",
            "1│ f                 event log: the selected node only                                  │",
            " │ p                 pause the display (the frozen snapshot stays)                      │",
            " │ Ctrl-L            repaint the screen                                                 │",
            " │ ?  F1  :help      this help                                                          │",
            " │ q  F10  :q        quit                                                               │",
            " │                                                                                      │",
            " │ Act (each asks for confirmation)                                                     │",
            " │ d  u              drain / undrain the selected node                                  │",
            " │ +  -              weight +10 / −10                                                   │",
            " │ >  <              weight +1 / −1                                                     │",
            " │ w                 set the weight (0–1000)…                                           │",
            " │ =                 reset the weight to the configured one                             │",
            " │ z                 undo your own last operator action                                 │",
            " │ :                 command line: drain, undrain, weight, reset, undo (Tab completes)  │",
            " │ :reload           re-read the cluster file (attached: the daemon re-reads its own)   │",
            " │ y Enter  n Esc    in a dialog: confirm / cancel                                      │",
            " │ f  h              in a refusal: force past the floor / do it here only               │",
            " └──────────────────────────────────────────────────────────────────────────────────────┘",
            " ? help  q quit  ⏎ details  m methods  / filter  s sort  d drain  u undrain  +- weight  z",
        ])
    }

    @Test func helpInReadOnlyModeLeavesOutEveryAction() {
        expectScreen(screen(keys("?"), 90, 40, readOnly: true), [
            " demo │ routable 3/9 │ 1235 calls/s │ ok - 1m │ retries 2.5/s     read-only  12:34:56 UTC",
            " ┌─ Help · Esc closes · j/k scroll 1–36/68 ─────────────────────────────────────────────┐",
            "─│ Read-only: operator actions are disabled (--read-only).                              │─",
            "S│                                                                                      │",
            "●│ Move                                                                                 │",
            "◐│ ↑ k  ↓ j          select the previous / next row, or scroll                          │",
            "◌│ PgUp PgDn         a page up / down                                                   │",
            "◍│ g Home  G End     first / last row                                                   │…",
            "●│ Tab               switch pane: nodes ⇄ events                                        │",
            "◌│ Enter             node details (Esc, Enter or ← back)                                │",
            "?│ m                 methods: each method's calls, errors, latency; Enter per node      │",
            "◔│                                                                                      │",
            "✖│ View                                                                                 │d",
            " │ /                 filter the rows by text, nodes or methods (Enter keeps, Esc clears)│",
            "─│ s  S              sort by the next column on screen / reverse the order              │─",
            "1│ Shift+letter      sort by that column on screen (again: reverse):                    │",
            "1│   H N A F         health (state), name, address, fb303                               │",
            "1│   L P B R         p50, p99, heartbeats, retries                                      │",
            "1│   I W % V         in flight, weight, share, avail                                    │",
            "1│   T E             tls, last error                                                    │",
            "1│ :sort COLUMN      sort by a column by name; :sort alone is worst first (the default) │",
            "1│ :export FILE.csv  the table as shown, filter and sort applied (or FILE.json)         │",
            " │ e                 event log: warnings and errors only                                │",
            " │ f                 event log: the selected node only                                  │",
            " │ p                 pause the display (the frozen snapshot stays)                      │",
            " │ Ctrl-L            repaint the screen                                                 │",
            " │ ?  F1  :help      this help                                                          │",
            " │ q  F10  :q        quit                                                               │",
            " │                                                                                      │",
            " │ Mouse (off with --no-mouse)                                                          │",
            " │ click             select a row; on a heading, sort by that column                    │",
            " │ wheel             scroll the pane under the pointer                                  │",
            " │                                                                                      │",
            " │ Header                                                                               │",
            " │ routable N/M      nodes taking new calls (serving, not drained, weight > 0, not eject│",
            " │ calls/s           calls through the balancer, averaged over ~3 s                     │",
            " │ ok 99.2% 1m       calls that succeeded in the last minute (an exception reply fails) │",
            " │ p99               answered calls' 99th percentile latency over the last minute, retri│",
            " └──────────────────────────────────────────────────────────────────────────────────────┘",
            " ? help  q quit  ⏎ details  m methods  / filter  s sort  p pause  read-only",
        ])
    }

    @Test func drainDialogNamesTheNodeAndShowsShareAndClusterAvailabilityAfter() {
        expectScreen(screen(keys("d"), 80, 24), [
            " demo │ routable 3/9 │ 1235 calls/s │ ok - 1m │ retries 2.5/s      12:34:56 UTC",
            " ● 2 up ◐ 1 degraded ◔ 1 starting ◌ 2 drained ◍ 1 suspect ✖ 1 down ? 1 unknown",
            "─ Nodes 9/9 ─ sort NAME ▲ ──────────────────────────────────────────────────────",
            "STATE      NAME▲        P99  INFL WEIGHT  SHARE   AVAIL LAST ERROR",
            "● up       alpha-1   4.20ms     2    100  25.0% 100.00%",
            "◐ degraded beta-2    31.4ms     0    100  25.0%  97.31%",
            "◌ dr┌─ Drain alpha-1? ─────────────────────────────────────────────────────┐",
            "◍ su│ alpha-1  10.0.0.1:9090  ● up                                         │r 5…",
            "● up│                                                                      │",
            "◌ dr│ No new calls; 2 in flight will finish. Heartbeats go on.             │",
            "? un│ Traffic share         25.0% → 0%                                     │",
            "◔ st│ Routable nodes        3 → 2                                          │",
            "✖ do│ Availability model    99.9998% → 99.9980%                            │efu…",
            " alp│   1 − Π(1 − Aᵢ) over routable nodes: the chance at least one answers │",
            "─ Ev│                                                                      │────",
            "12:3│ [y/Enter] drain    [n/Esc] cancel                                    │",
            "12:3└──────────────────────────────────────────────────────────────────────┘",
            "12:34:36 note gamma-3   drained by operator",
            "12:34:26 ERR! zeta-6    connection refused",
            "12:34:16 WARN beta-2    up → degraded: queue depth high",
            "12:34:06 note theta-8   unknown → starting",
            "12:33:56 info cluster   cluster demo started with 9 nodes",
            "",
            " ? help  q quit  ⏎ details  m methods  / filter  s sort  d drain  u undrain  +-",
        ])
    }

    /// gamma-3 is drained: its expected share is its weight over the routable weight, 100/350
    /// (alpha-1, beta-2, eta-7 and itself: epsilon-5 is suspect, so not routable).
    @Test func undrainDialogShowsTheExpectedShareOfTheNode() {
        expectScreen(screen(keys("jjjjju"), 80, 24), [
            " demo │ routable 3/9 │ 1235 calls/s │ ok - 1m │ retries 2.5/s      12:34:56 UTC",
            " ● 2 up ◐ 1 degraded ◔ 1 starting ◌ 2 drained ◍ 1 suspect ✖ 1 down ? 1 unknown",
            "─ Nodes 9/9 ─ sort NAME ▲ ──────────────────────────────────────────────────────",
            "STATE      NAME▲        P99  INFL WEIGHT  SHARE   AVAIL LAST ERROR",
            "● up       alpha-1   4.20ms     2    100  25.0% 100.00%",
            "◐ degraded beta-2    31.4ms     0    100  25.0%  97.31%",
            "◌ drained  delta-4   4.80ms     0    100   0.0% 100.00%",
            "◍ suspect  ┌─ Undrain gamma-3? ─────────────────────────────────────┐ut after 5…",
            "● up       │ gamma-3  10.0.0.3:9090  ◌ drained                      │",
            "◌ drained  │                                                        │",
            "? unknown  │ Takes new calls again once its heartbeats are healthy. │",
            "◔ starting │ Traffic share         0.0% → ≈28.5%                    │",
            "✖ down     │ Routable nodes        3 → 4                            │ction refu…",
            " gamma-3: n│                                                        │",
            "─ Events 7/│ [y/Enter] undrain    [n/Esc] cancel                    │───────────",
            "12:34:51 ER└────────────────────────────────────────────────────────┘",
            "12:34:46 WARN epsilon-5 timeout after 500ms",
            "12:34:36 note gamma-3   drained by operator",
            "12:34:26 ERR! zeta-6    connection refused",
            "12:34:16 WARN beta-2    up → degraded: queue depth high",
            "12:34:06 note theta-8   unknown → starting",
            "12:33:56 info cluster   cluster demo started with 9 nodes",
            "",
            " ? help  q quit  ⏎ details  m methods  / filter  s sort  d drain  u undrain  +-",
        ])
    }

    /// eta-7 at weight 50: + proposes 60, share ≈ 60/260 (alpha-1, beta-2 and itself are routable).
    @Test func weightDialogShowsOldAndNewWeightAndShare() {
        expectScreen(screen(keys("jjjj+"), 80, 24), [
            " demo │ routable 3/9 │ 1235 calls/s │ ok - 1m │ retries 2.5/s      12:34:56 UTC",
            " ● 2 up ◐ 1 degraded ◔ 1 starting ◌ 2 drained ◍ 1 suspect ✖ 1 down ? 1 unknown",
            "─ Nodes 9/9 ─ sort NAME ▲ ──────────────────────────────────────────────────────",
            "STATE      NAME▲        P99  INFL WEIGHT  SHARE   AVAIL LAST ERROR",
            "● up       alpha-1   4.20ms     2    100  25.0% 100.00%",
            "◐ degraded beta-2    31.4ms     0    100  25.0%  97.31%",
            "◌ drained  delta-4   4.80ms     0    100   0.0% 100.00%",
            "◍ suspect  epsilon-5  250ms     0    100  25.0%  95.00% 30s ago timeout after 5…",
            "● up       eta-7   ┌─ Change the weight of eta-7? ──────────┐",
            "◌ drained  gamma-3 │ eta-7  10.0.0.7:9090  ● up             │",
            "? unknown  iota-9  │                                        │",
            "◔ starting theta-8 │ Weight                50 → 60          │",
            "✖ down     zeta-6  │ Traffic share         25.0% → ≈23.0%   │go connection refu…",
            " eta-7: no error so│                                        │",
            "─ Events 7/7 ──────│ [y/Enter] set weight    [n/Esc] cancel │───────────────────",
            "12:34:51 ERR! alpha└────────────────────────────────────────┘ boom",
            "12:34:46 WARN epsilon-5 timeout after 500ms",
            "12:34:36 note gamma-3   drained by operator",
            "12:34:26 ERR! zeta-6    connection refused",
            "12:34:16 WARN beta-2    up → degraded: queue depth high",
            "12:34:06 note theta-8   unknown → starting",
            "12:33:56 info cluster   cluster demo started with 9 nodes",
            "",
            " ? help  q quit  ⏎ details  m methods  / filter  s sort  d drain  u undrain  +-",
        ])
    }

    @Test func commandLineCompletesNodeNamesAndListsTheCandidates() {
        expectScreen(screen(keys(":d") + [.tab] + keys("e") + [.tab], 80, 24), [
            " demo │ routable 3/9 │ 1235 calls/s │ ok - 1m │ retries 2.5/s      12:34:56 UTC",
            " ● 2 up ◐ 1 degraded ◔ 1 starting ◌ 2 drained ◍ 1 suspect ✖ 1 down ? 1 unknown",
            "─ Nodes 9/9 ─ sort NAME ▲ ──────────────────────────────────────────────────────",
            "STATE      NAME▲        P99  INFL WEIGHT  SHARE   AVAIL LAST ERROR",
            "● up       alpha-1   4.20ms     2    100  25.0% 100.00%",
            "◐ degraded beta-2    31.4ms     0    100  25.0%  97.31%",
            "◌ drained  delta-4   4.80ms     0    100   0.0% 100.00%",
            "◍ suspect  epsilon-5  250ms     0    100  25.0%  95.00% 30s ago timeout after 5…",
            "● up       eta-7     4.80ms     0    50*  25.0% 100.00%",
            "◌ drained  gamma-3   4.80ms     3    100   0.0% 100.00%",
            "? unknown  iota-9         -     0    100   0.0%   0.00%",
            "◔ starting theta-8   4.80ms     0    100   0.0% 100.00%",
            "✖ down     zeta-6         -     0    100   0.0%  50.00% 30s ago connection refu…",
            " alpha-1: no error so far",
            "─ Events 7/7 ───────────────────────────────────────────────────────────────────",
            "12:34:51 ERR! alpha-1   TApplicationException INTERNAL_ERROR: boom",
            "12:34:46 WARN epsilon-5 timeout after 500ms",
            "12:34:36 note gamma-3   drained by operator",
            "12:34:26 ERR! zeta-6    connection refused",
            "12:34:16 WARN beta-2    up → degraded: queue depth high",
            "12:34:06 note theta-8   unknown → starting",
            "12:33:56 info cluster   cluster demo started with 9 nodes",
            "",
            ":drain e█ epsilon-5  eta-7",
        ])
    }

    @Test func commandLineShowsAParseErrorAndKeepsTheText() {
        expectScreen(screen(keys(":dran alpha-1") + [.enter], 80, 24), [
            " demo │ routable 3/9 │ 1235 calls/s │ ok - 1m │ retries 2.5/s      12:34:56 UTC",
            " ● 2 up ◐ 1 degraded ◔ 1 starting ◌ 2 drained ◍ 1 suspect ✖ 1 down ? 1 unknown",
            "─ Nodes 9/9 ─ sort NAME ▲ ──────────────────────────────────────────────────────",
            "STATE      NAME▲        P99  INFL WEIGHT  SHARE   AVAIL LAST ERROR",
            "● up       alpha-1   4.20ms     2    100  25.0% 100.00%",
            "◐ degraded beta-2    31.4ms     0    100  25.0%  97.31%",
            "◌ drained  delta-4   4.80ms     0    100   0.0% 100.00%",
            "◍ suspect  epsilon-5  250ms     0    100  25.0%  95.00% 30s ago timeout after 5…",
            "● up       eta-7     4.80ms     0    50*  25.0% 100.00%",
            "◌ drained  gamma-3   4.80ms     3    100   0.0% 100.00%",
            "? unknown  iota-9         -     0    100   0.0%   0.00%",
            "◔ starting theta-8   4.80ms     0    100   0.0% 100.00%",
            "✖ down     zeta-6         -     0    100   0.0%  50.00% 30s ago connection refu…",
            " alpha-1: no error so far",
            "─ Events 7/7 ───────────────────────────────────────────────────────────────────",
            "12:34:51 ERR! alpha-1   TApplicationException INTERNAL_ERROR: boom",
            "12:34:46 WARN epsilon-5 timeout after 500ms",
            "12:34:36 note gamma-3   drained by operator",
            "12:34:26 ERR! zeta-6    connection refused",
            "12:34:16 WARN beta-2    up → degraded: queue depth high",
            "12:34:06 note theta-8   unknown → starting",
            "12:33:56 info cluster   cluster demo started with 9 nodes",
            "",
            ":dran alpha-1█ ✖ unknown command \"dran\" (did you mean \"drain\"?); commands: drain",
        ])
    }

    @Test func pausedReadOnlyHeaderShowsBothMarkers() {
        expectScreen(screen(keys("p"), 80, 24, readOnly: true), [
            " demo │ routable 3/9 │ 1235 calls/s │ ok - 1m   PAUSED  read-only  12:34:56 UTC",
            " ● 2 up ◐ 1 degraded ◔ 1 starting ◌ 2 drained ◍ 1 suspect ✖ 1 down ? 1 unknown",
            "─ Nodes 9/9 ─ sort NAME ▲ ──────────────────────────────────────────────────────",
            "STATE      NAME▲        P99  INFL WEIGHT  SHARE   AVAIL LAST ERROR",
            "● up       alpha-1   4.20ms     2    100  25.0% 100.00%",
            "◐ degraded beta-2    31.4ms     0    100  25.0%  97.31%",
            "◌ drained  delta-4   4.80ms     0    100   0.0% 100.00%",
            "◍ suspect  epsilon-5  250ms     0    100  25.0%  95.00% 30s ago timeout after 5…",
            "● up       eta-7     4.80ms     0    50*  25.0% 100.00%",
            "◌ drained  gamma-3   4.80ms     3    100   0.0% 100.00%",
            "? unknown  iota-9         -     0    100   0.0%   0.00%",
            "◔ starting theta-8   4.80ms     0    100   0.0% 100.00%",
            "✖ down     zeta-6         -     0    100   0.0%  50.00% 30s ago connection refu…",
            " alpha-1: no error so far",
            "─ Events 7/7 ───────────────────────────────────────────────────────────────────",
            "12:34:51 ERR! alpha-1   TApplicationException INTERNAL_ERROR: boom",
            "12:34:46 WARN epsilon-5 timeout after 500ms",
            "12:34:36 note gamma-3   drained by operator",
            "12:34:26 ERR! zeta-6    connection refused",
            "12:34:16 WARN beta-2    up → degraded: queue depth high",
            "12:34:06 note theta-8   unknown → starting",
            "12:33:56 info cluster   cluster demo started with 9 nodes",
            "",
            " paused: the display is frozen (p resumes)   ? help  q quit  ⏎ details  m method",
        ])
    }

    /// s four times: P99; S: descending (no data last); e: warnings and errors only; /et: four nodes.
    @Test func sortFilterAndErrorsOnlyLogShowInTheTitles() {
        expectScreen(screen(keys("ssssSe/et") + [.enter], 80, 24), [
            " demo │ routable 3/9 │ 1235 calls/s │ ok - 1m │ retries 2.5/s      12:34:56 UTC",
            " ● 2 up ◐ 1 degraded ◔ 1 starting ◌ 2 drained ◍ 1 suspect ✖ 1 down ? 1 unknown",
            "─ Nodes 4/9 ─ sort SHARE ▼ ─ filter \"et\" ───────────────────────────────────────",
            "STATE      NAME         P99  INFL WEIGHT SHARE▼   AVAIL LAST ERROR",
            "◐ degraded beta-2    31.4ms     0    100  25.0%  97.31%",
            "● up       eta-7     4.80ms     0    50*  25.0% 100.00%",
            "◔ starting theta-8   4.80ms     0    100   0.0% 100.00%",
            "✖ down     zeta-6         -     0    100   0.0%  50.00% 30s ago connection refu…",
            " beta-2: no error so far",
            "─ Events 4/7 ─ warnings+errors ─────────────────────────────────────────────────",
            "12:34:51 ERR! alpha-1   TApplicationException INTERNAL_ERROR: boom",
            "12:34:46 WARN epsilon-5 timeout after 500ms",
            "12:34:26 ERR! zeta-6    connection refused",
            "12:34:16 WARN beta-2    up → degraded: queue depth high",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            " ? help  q quit  ⏎ details  m methods  / filter  s sort  d drain  u undrain  +-",
        ])
    }
}
