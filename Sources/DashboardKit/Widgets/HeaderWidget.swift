import ClusterModel

/// The two header rows. The first says how the cluster does as a whole (name, availability,
/// calls/s, retries/s) with the markers and the UTC time at the right; the second counts nodes
/// per state and names the balancer. Parts that do not fit are left out whole, from the end,
/// never cut in the middle of a number.
struct HeaderWidget {
    var snapshot: ClusterSnapshot
    var paused: Bool
    var readOnly: Bool

    /// The order states are counted in: healthy first, as one reads left to right.
    static let healthOrder: [NodeHealth] = [.up, .degraded, .starting, .draining, .suspect, .down, .unknown]

    func render(_ area: Rect, into screen: inout Screen) {
        guard !area.isEmpty else { return }
        let bar = CellStyle(.header)
        screen.fill(area.row(0), with: Cell(" ", style: bar))

        var right: [Span] = []
        if snapshot.panicMode { right += [Span(" \(Self.panicBanner(snapshot)) ", .panic), Span(" ", bar)] }
        if paused { right += [Span(" PAUSED ", .paused), Span(" ", bar)] }
        if readOnly { right += [Span("read-only  ", bar)] }
        right.append(Span("\(Format.clock(snapshot.wallTime)) UTC ", bar))
        let rightLine = Line(right)
        let rightWidth = min(rightLine.width, area.width)
        screen.put(rightLine, x: area.maxX - rightWidth, y: area.y, maxWidth: rightWidth)

        let retryShare = snapshot.callsPerSecond > 0 ? snapshot.retriesPerSecond / snapshot.callsPerSecond : 0
        let bold = CellStyle(.header, bold: true)
        let parts = [
            Line([Span(" thrifttop", bold), Span(" │ ", bar), Span(snapshot.clusterName, bold)]),
            Line([Span(" │ avail ", bar), Span(Format.percent(snapshot.availability, digits: 4), bold)]),
            Line([Span(" │ ", bar), Span(Format.rate(snapshot.callsPerSecond), bold), Span(" calls/s", bar)]),
            Line([Span(" │ retries ", bar), Span("\(Format.rate(snapshot.retriesPerSecond))/s", bold), Span(" (\(Format.percent(retryShare)))", bar)]),
        ]
        Self.putFitting(parts, x: area.x, y: area.y, width: area.width - rightWidth - 1, into: &screen)

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

    /// What panic mode does now: "PANIC 1/3 routable: overflow to not-up nodes" — calls go to the
    /// routable nodes while they have room, and only what they cannot take goes to connected
    /// nodes in rotation that are not up (`OperatorRules`, `PoolCore.candidates`).
    static func panicBanner(_ snapshot: ClusterSnapshot) -> String {
        var routable = 0, inRotation = 0
        for node in snapshot.nodes where OperatorRules.inRotation(drained: node.operatorDrained, weight: node.weight) {
            inRotation += 1
            if node.routable { routable += 1 }
        }
        return "PANIC \(routable)/\(inRotation) routable: overflow to not-up nodes"
    }

    /// "● 2 up  ◐ 1 degraded …"; without words ("● 2  ◐ 1 …") when narrow: the glyph still says
    /// which state, so colour is never the only signal.
    private func countParts(words: Bool, gap: Int) -> [Line] {
        let counts = Self.counts(snapshot.nodes)
        let parts: [Line] = Self.healthOrder.compactMap { health in
            let n = counts[health] ?? 0
            guard n > 0 || health == .up || health == .down else { return nil }
            let text = words ? "\(health.glyph) \(n) \(health.rawValue)" : "\(health.glyph) \(n)"
            return Line([Span(String(repeating: " ", count: gap), .text), Span(text, n > 0 ? .health(health) : .dim)])
        }
        // The first part starts one column in, whatever the gap, to line up with the row above.
        guard var first = parts.first else { return [] }
        first.spans[0] = Span(" ", .text)
        return [first] + parts.dropFirst()
    }

    /// Nodes per state; a plain loop, as the snapshot's dictionary-building version costs more
    /// than the rest of the header on a large cluster.
    static func counts(_ nodes: [NodeSnapshot]) -> [NodeHealth: Int] {
        var tally = [Int](repeating: 0, count: NodeHealth.allCases.count)
        for node in nodes { tally[NodeColumn.severityRank(node.health)] += 1 }
        return Dictionary(uniqueKeysWithValues: NodeHealth.allCases.map { ($0, tally[NodeColumn.severityRank($0)]) })
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
