import ClusterModel

/// The confirmation dialog of an operator action: names the node and shows the effect (new
/// weight and traffic share, cluster availability after a drain) before anything is sent.
/// Numbers are recomputed from each new snapshot while it is open; the command is not.
struct ConfirmDialog {
    var request: ConfirmRequest
    var snapshot: ClusterSnapshot
    /// Who acts (whose last action an undo reverts); nil: not known here.
    var operatorName: String? = nil

    var title: String {
        switch request.command {
        case let .drain(node, force): force ? "Force-drain \(node)?" : "Drain \(node)?"
        case let .undrain(node): "Undrain \(node)?"
        case let .setWeight(node, _, force): force ? "Force the weight of \(node)?" : "Change the weight of \(node)?"
        case let .resetWeight(node): "Reset the weight of \(node)?"
        case .undo: "Undo your last operator action?"
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
            let reverts = operatorName.flatMap { snapshot.undoable[$0] }
            out.append(Line([Span("Reverts: "), Span(reverts ?? "your last action, as the daemon keeps it", .notice, bold: true)]))
            return out
        }
        guard let node = snapshot.node(named: name) else {
            return [Line("\(name) is no longer in the cluster; the pool will refuse.", .warning)]
        }
        let word = node.health.word(drained: node.operatorDrained)
        out.append(Line([Span(node.name, .text, bold: true), Span("  \(node.address)  ", .dim), Span("\(node.health.glyph) \(word)", .health(node.health))]))
        out.append(Line())
        // The effect as the authority's own rules work it out.
        let decision = OperatorRules.decide(request.command, nodes: snapshot.nodes.map(\.operatorView), settings: snapshot.rules)
        guard case let .change(_, _, weight, _, effect) = decision else {
            out.append(Line("Refused now: \(decision.refusal ?? "")", .warning))
            return out
        }
        let shareAfter = Format.percent(effect.sharesAfter[name] ?? 0)
        switch request.command {
        case .drain:
            out.append(Line("No new calls; \(node.inFlight) in flight will finish. Heartbeats go on."))
            out.append(row("Traffic share", Format.percent(node.trafficShare), "0%"))
        case .undrain:
            out.append(Line("Takes new calls again once its heartbeats are healthy."))
            out.append(row("Traffic share", Format.percent(node.trafficShare), "≈" + shareAfter))
        default:
            out.append(row("Weight", String(node.weight), String(weight) + (weight == node.configuredWeight ? " (configured)" : "")))
            out.append(row("Traffic share", Format.percent(node.trafficShare), "≈" + shareAfter))
            if weight == 0 { out.append(Line("Weight 0: no new calls, but not drained.", .warning)) }
            if !node.serving { out.append(Line("Not routable now (\(node.health.rawValue)): the share applies once it is.", .dim)) }
        }
        out += effectLines(effect, forced: request.command.isForced)
        return out
    }

    /// Routable nodes, panic mode and availability before and after.
    private func effectLines(_ effect: OperatorEffect, forced: Bool) -> [Line] {
        var out: [Line] = []
        if effect.routableAfter != effect.routableBefore || request.command.isDrain || request.command == .undrain(node: request.command.node ?? "") {
            out.append(row("Routable nodes", "\(effect.routableBefore)", "\(effect.routableAfter)", worse: effect.routableAfter < effect.routableBefore))
        }
        if case let .drain(name, _) = request.command, let node = snapshot.node(named: name) {
            out.append(row("Availability model", Format.percent(snapshot.availability, digits: 4), Format.percent(node.clusterAvailabilityIfDrained, digits: 4),
                           worse: node.clusterAvailabilityIfDrained < snapshot.availability))
            out.append(Line("  1 − Π(1 − Aᵢ) over routable nodes: the chance at least one answers", .dim))
        }
        if effect.routableAfter == 0 { out.append(Line("⚠ no node would be routable: calls overflow to nodes that are not up, or fail", .error, bold: true)) }
        if effect.startsPanic {
            let threshold = Format.percent(snapshot.rules.panicThreshold)
            out.append(Line("⚠ starts panic mode: \(effect.routableAfter) of \(effect.inRotationAfter) in rotation routable (< \(threshold));", .warning, bold: true))
            out.append(Line("  what the routable nodes cannot take goes to connected nodes that are not up", .warning))
        }
        if forced { out.append(Line("⚠ forced: ignores the capacity floor (min_routable \(snapshot.rules.minRoutable))", .warning, bold: true)) }
        return out
    }

    private func row(_ label: String, _ before: String, _ after: String, worse: Bool = false) -> Line {
        Line([Span(Box.pad(label, 22), .dim), Span(before), Span(" → ", .dim), Span(after, worse ? .warning : .text, bold: true)])
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
