import ClusterModel

/// The confirmation dialog of an operator action: names the node and shows the effect (new
/// weight and traffic share, cluster availability after a drain) before anything is sent.
/// Numbers are recomputed from each new snapshot while it is open; the command is not.
struct ConfirmDialog {
    var request: ConfirmRequest
    var snapshot: ClusterSnapshot

    var title: String {
        switch request.command {
        case let .drain(node, force): force ? "Force-drain \(node)?" : "Drain \(node)?"
        case let .undrain(node): "Undrain \(node)?"
        case let .setWeight(node, _): "Change the weight of \(node)?"
        case let .resetWeight(node): "Reset the weight of \(node)?"
        case .undo: "Undo the last operator action?"
        }
    }

    var verb: String {
        switch request.command {
        case .drain: "drain"
        case .undrain: "undrain"
        case .setWeight, .resetWeight: "set weight"
        case .undo: "undo"
        }
    }

    var lines: [Line] {
        var out: [Line] = []
        guard let name = request.command.node else {
            out.append(Line([Span("Reverts: "), Span(snapshot.undoDescription ?? "nothing (the pool will refuse)", .notice, bold: true)]))
            return out
        }
        guard let node = snapshot.node(named: name) else {
            return [Line("\(name) is no longer in the cluster; the pool will refuse.", .warning)]
        }
        let word = node.isFullyDrained ? "drained" : node.health.rawValue
        out.append(Line([Span(node.name, .text, bold: true), Span("  \(node.address)  ", .dim), Span("\(node.health.glyph) \(word)", .health(node.health))]))
        out.append(Line())
        switch request.command {
        case let .drain(_, force):
            out.append(Line("No new calls; \(node.inFlight) in flight will finish. Heartbeats go on."))
            out.append(row("Traffic share", Format.percent(node.trafficShare), "0%"))
            out.append(row("Cluster availability", Format.percent(snapshot.availability, digits: 4),
                           Format.percent(node.clusterAvailabilityIfDrained, digits: 4),
                           worse: node.clusterAvailabilityIfDrained < snapshot.availability))
            let othersRoutable = snapshot.nodes.filter { $0.routable && $0.name != name }.count
            if othersRoutable == 0 { out.append(Line("⚠ no other node is routable: the cluster would take no traffic", .error, bold: true)) }
            if force { out.append(Line("⚠ forced: ignores the capacity floor", .warning, bold: true)) }
        case .undrain:
            out.append(Line("Takes new calls again once its heartbeats are healthy."))
            out.append(row("Traffic share", Format.percent(node.trafficShare), "≈" + Format.percent(Self.share(of: node, weight: node.weight, in: snapshot))))
        case let .setWeight(_, weight):
            out += weightLines(node, to: weight)
        case .resetWeight:
            out += weightLines(node, to: node.configuredWeight)
        case .undo:
            break
        }
        return out
    }

    private func weightLines(_ node: NodeSnapshot, to weight: Int) -> [Line] {
        var out = [row("Weight", String(node.weight), String(weight) + (weight == node.configuredWeight ? " (configured)" : ""))]
        let after = Self.share(of: node, weight: weight, in: snapshot)
        out.append(row("Traffic share", Format.percent(node.trafficShare), "≈" + Format.percent(after)))
        if weight == 0 { out.append(Line("Weight 0: no new calls, but not drained.", .warning)) }
        if !node.routable { out.append(Line("Not routable now (\(node.health.rawValue)): the share applies once it is.", .dim)) }
        return out
    }

    private func row(_ label: String, _ before: String, _ after: String, worse: Bool = false) -> Line {
        Line([Span(Box.pad(label, 22), .dim), Span(before), Span(" → ", .dim), Span(after, worse ? .warning : .text, bold: true)])
    }

    /// The expected traffic share of `node` at `weight`: w′ / Σw over the routable nodes, with the
    /// node counted as routable (an undrain or weight change presumes it will be).
    static func share(of node: NodeSnapshot, weight: Int, in snapshot: ClusterSnapshot) -> Double {
        let others = snapshot.nodes.filter { $0.routable && $0.name != node.name }.reduce(0) { $0 + max(0, $1.weight) }
        let total = others + max(0, weight)
        return total > 0 ? Double(max(0, weight)) / Double(total) : 0
    }

    func render(_ area: Rect, into screen: inout Screen) {
        let footer = Line([Span("[y/Enter] ", .key, bold: true), Span(verb), Span("    "), Span("[n/Esc] ", .key, bold: true), Span("cancel")])
        Self.drawDialog(title: title, content: lines, footer: footer, in: area, into: &screen)
    }

    /// A dialog box in the middle of `area`: a title, lines, and a footer of keys at the bottom.
    static func drawDialog(title: String, content: [Line], footer: Line, in area: Rect, into screen: inout Screen) {
        let widest = max(content.map(\.width).max() ?? 0, footer.width, DisplayWidth.of(title) + 4)
        let box = area.centered(width: min(area.width - 2, widest + 4), height: min(area.height, content.count + 4))
        Box.draw(box, title: Line(title, .title, bold: true), role: .borderFocused, fill: .dialog, into: &screen)
        let inside = box.inset(1)
        for (i, line) in content.enumerated() where i < inside.height - 2 {
            screen.put(line.onDialog, x: inside.x + 1, y: inside.y + i, maxWidth: inside.width - 1)
        }
        screen.put(footer.onDialog, x: inside.x + 1, y: inside.maxY - 1, maxWidth: inside.width - 1)
    }
}
