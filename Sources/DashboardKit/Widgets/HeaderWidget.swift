import ClusterModel

/// The two header rows. The first says what an operator acts on: the cluster (and where it is
/// attached), how many nodes are routable by the operator rules, calls/s, the share of calls
/// that succeeded over the last minute, the calls' p99 and retries/s, with the markers and the
/// UTC time at the right. The second counts nodes per state and names the balancer. Parts that
/// do not fit are left out whole, from the end, never cut in the middle of a number; the
/// cluster's name is the last thing to go.
struct HeaderWidget {
    var snapshot: ClusterSnapshot
    var paused: Bool
    var readOnly: Bool
    /// Where the figures come from when attached (`http://HOST:PORT`); nil for this process's pool.
    var source: String? = nil
    /// A recording replayed ("REPLAY ▶ ×4", "REPLAY ⏸"): the clock is the recorded moment.
    var replay: String? = nil

    func render(_ area: Rect, into screen: inout Screen) {
        guard !area.isEmpty else { return }
        let bar = CellStyle(.header)
        let bold = CellStyle(.header, bold: true)
        screen.fill(area.row(0), with: Cell(" ", style: bar))

        // The cluster's name is never dropped. Then, in this order: the first three figures
        // (routable, calls/s, ok %), the endpoint when attached, the panic banner's explanation,
        // the other figures, the clock, the program's name.
        let attachedTo = source.map { [Span(" @ ", bar), Span($0, bar)] } ?? []
        let names = [
            Line([Span(" thrifttop", bold), Span(" │ ", bar), Span(snapshot.clusterName, bold)] + attachedTo),
            Line([Span(" ", bar), Span(snapshot.clusterName, bold)] + attachedTo),
            Line([Span(" thrifttop", bold), Span(" │ ", bar), Span(snapshot.clusterName, bold)]),
            Line([Span(" ", bar), Span(snapshot.clusterName, bold)]),
        ]
        let rights = [rightSide(longBanner: true, clock: true), rightSide(longBanner: false, clock: true), rightSide(longBanner: false, clock: false)]
        let figures = figures(bar: bar, bold: bold)
        var chosen = (name: names[3], right: rights[2])
        var best: [Int] = []
        for (r, right) in rights.enumerated() {
            for (n, name) in names.enumerated() where name.width + right.width + 1 <= area.width {
                let shown = Self.fitting(figures, width: area.width - right.width - 1 - name.width)
                let score = [min(shown, 3), n < 2 ? 1 : 0, r == 0 ? 1 : 0, shown, r < 2 ? 1 : 0, n % 2 == 0 ? 1 : 0]
                if score.lexicographicallyPrecedes(best) == false && score != best { (chosen, best) = ((name, right), score) }
            }
        }
        let rightWidth = min(chosen.right.width, area.width)
        screen.put(chosen.right, x: area.maxX - rightWidth, y: area.y, maxWidth: rightWidth)
        let leftWidth = max(0, area.width - rightWidth - 1)
        let used = screen.put(chosen.name, x: area.x, y: area.y, maxWidth: leftWidth)
        Self.putFitting(figures, x: area.x + used, y: area.y, width: leftWidth - used, into: &screen)

        guard area.height > 1 else { return }
        // Words with room to breathe, then words packed, then glyphs and numbers only.
        let tiers = [countParts(words: true, gap: 2), countParts(words: true, gap: 1), countParts(words: false, gap: 2)]
        let counts = tiers.first { $0.reduce(0) { $0 + $1.width } <= area.width } ?? tiers[2]
        let balancer = Line([Span(" │ ", .border), Span("balancer ", .dim), Span(snapshot.balancer, .dim)])
        let listeners = snapshot.listeners.isEmpty ? [] : [Line([Span(" │ ", .border), Span("clients → ", .dim),
                                                                Span(snapshot.listeners.joined(separator: " "), .text)])]
        if let warning = snapshot.stateStore?.warning {
            // The store's trouble matters more than the balancer's name or the counts' words: the
            // counts shrink to glyphs and numbers, the warning takes the rest of the row.
            let used = Self.putFitting(tiers[2], x: area.x, y: area.y + 1, width: area.width, into: &screen)
            screen.put(Line([Span(" │ ", .border), Span(warning, .panic, bold: true)]), x: area.x + used, y: area.y + 1, maxWidth: area.width - used)
            return
        }
        Self.putFitting(counts + [balancer] + listeners, x: area.x, y: area.y + 1, width: area.width, into: &screen)
    }

    /// "routable 3/4 │ 200 calls/s │ ok 99.2% 1m │ p99 8.70ms │ retries 0.2/s".
    private func figures(bar: CellStyle, bold: CellStyle) -> [Line] {
        let (routable, all) = snapshot.routableCount
        let routableStyle = snapshot.panicMode ? CellStyle(.panic, bold: true) : bold
        var parts = [
            Line([Span(" │ routable ", bar), Span("\(routable)/\(all)", routableStyle)]),
            Line([Span(" │ ", bar), Span(Format.rate(snapshot.callsPerSecond), bold), Span(" calls/s", bar)]),
        ]
        if let ratio = snapshot.callSuccessRatio {
            parts.append(Line([Span(" │ ok ", bar), Span(Format.percent(ratio, digits: 1), bold), Span(" 1m", bar)]))
        } else {
            parts.append(Line([Span(" │ ok ", bar), Span("-", bold), Span(" 1m", bar)]))
        }
        if let p99 = snapshot.callLatencyP99 {
            parts.append(Line([Span(" │ p99 ", bar), Span(Format.millis(p99), bold)]))
        }
        parts.append(Line([Span(" │ retries ", bar), Span("\(Format.rate(snapshot.retriesPerSecond))/s", bold)]))
        return parts
    }

    /// Panic, paused and read-only markers, then the clock.
    private func rightSide(longBanner: Bool, clock: Bool) -> Line {
        let bar = CellStyle(.header)
        var right: [Span] = []
        if snapshot.panicMode {
            let banner = longBanner ? Self.panicBanner(snapshot) : "PANIC \(Self.panicCounts(snapshot).routable)/\(Self.panicCounts(snapshot).inRotation)"
            right += [Span(" \(banner) ", .panic), Span(" ", bar)]
        }
        if paused { right += [Span(" PAUSED ", .paused), Span(" ", bar)] }
        if let replay { right += [Span(" \(replay) ", .paused), Span(" ", bar)] }
        if readOnly { right += [Span("read-only  ", bar)] }
        if clock { right.append(Span("\(Format.clock(snapshot.wallTime)) UTC ", bar)) }
        return Line(right)
    }

    private static func panicCounts(_ snapshot: ClusterSnapshot) -> (routable: Int, inRotation: Int) {
        var routable = 0, inRotation = 0
        for node in snapshot.nodes where OperatorRules.inRotation(drained: node.operatorDrained, weight: node.weight) {
            inRotation += 1
            if node.routable { routable += 1 }
        }
        return (routable, inRotation)
    }

    /// What panic mode does now: "PANIC 1/3 routable: overflow to not-up nodes" — calls go to the
    /// routable nodes while they have room, and only what they cannot take goes to connected
    /// nodes in rotation that are not up (`OperatorRules`, `PoolCore.candidates`).
    static func panicBanner(_ snapshot: ClusterSnapshot) -> String {
        let (routable, inRotation) = panicCounts(snapshot)
        return "PANIC \(routable)/\(inRotation) routable: overflow to not-up nodes"
    }

    /// The states counted in the second row, healthy first, as one reads left to right: a
    /// drained node is counted as "drained", as its row says.
    static let countOrder: [(health: NodeHealth, drained: Bool)] = [
        (.up, false), (.degraded, false), (.starting, false), (.draining, true), (.draining, false), (.suspect, false), (.down, false), (.unknown, false),
    ]

    /// "● 2 up  ◐ 1 degraded …"; without words ("● 2  ◐ 1 …") when narrow: the glyph still says
    /// which state, so colour is never the only signal.
    private func countParts(words: Bool, gap: Int) -> [Line] {
        var tally = [Int](repeating: 0, count: Self.countOrder.count)
        for node in snapshot.nodes {
            let drained = node.health == .draining && node.operatorDrained
            if let i = Self.countOrder.firstIndex(where: { $0.health == node.health && $0.drained == drained }) { tally[i] += 1 }
        }
        let parts: [Line] = Self.countOrder.indices.compactMap { i in
            let (health, drained) = Self.countOrder[i]
            let n = tally[i]
            guard n > 0 || health == .up || health == .down else { return nil }
            let text = words ? "\(health.glyph) \(n) \(health.word(drained: drained))" : "\(health.glyph) \(n)"
            return Line([Span(String(repeating: " ", count: gap), .text), Span(text, n > 0 ? .health(health) : .dim)])
        }
        // The first part starts one column in, whatever the gap, to line up with the row above.
        guard var first = parts.first else { return [] }
        first.spans[0] = Span(" ", .text)
        return [first] + parts.dropFirst()
    }

    /// How many of `parts`, whole and in order, fit in `width`.
    private static func fitting(_ parts: [Line], width: Int) -> Int {
        var used = 0, count = 0
        for part in parts {
            guard used + part.width <= width else { break }
            used += part.width
            count += 1
        }
        return count
    }

    /// Puts whole parts one after another while they fit in `width`.
    /// Returns the columns used.
    @discardableResult
    private static func putFitting(_ parts: [Line], x: Int, y: Int, width: Int, into screen: inout Screen) -> Int {
        var used = 0
        for part in parts {
            guard used + part.width <= width else { break }
            used += screen.put(part, x: x + used, y: y, maxWidth: width - used)
        }
        return used
    }
}
