import ClusterModel

/// Says why the shared state store refused an action (it cannot be reached) and offers to make
/// it on this instance only — marked so, and written to the store when it is back, unless
/// someone changed that node there since.
struct RefusalDialog {
    var refusal: Refusal

    var title: String { refusal.forced == nil ? "Refused: the state store is unreachable" : "Refused: the capacity floor (min_routable)" }

    var verb: String {
        if let forced = refusal.forced { return forced.isDrain ? "drain anyway" : "weight 0 anyway" }
        return switch refusal.command {
        case .drain: "drain here anyway"
        case .undrain: "undrain here anyway"
        // An undo is never offered here (it needs the store's history).
        case .setWeight, .resetWeight, .undo: "set the weight here anyway"
        }
    }

    func lines(width: Int) -> [Line] {
        var out = Self.wrap(refusal.reason, width: width).map { Line($0, .text) }
        if refusal.forced != nil {
            out.append(Line())
            out.append(Line("Forcing goes below the floor: fewer nodes than min_routable take calls.", .warning))
            return out
        }
        out.append(Line())
        out.append(Line("Here anyway: only this instance routes by it; the others do not know.", .warning))
        out.append(Line("It is written to the store when the store is back, unless someone", .dim))
        out.append(Line("changed \(refusal.command.node ?? "the node") there since (then it is shown as a conflict).", .dim))
        return out
    }

    func render(_ area: Rect, into screen: inout Screen) {
        let footer = Line([Span(refusal.forced == nil ? "[h] " : "[f] ", .key, bold: true), Span(verb), Span("    "), Span("[Esc] ", .key, bold: true), Span("leave it")])
        ConfirmDialog.drawDialog(title: title, content: lines(width: min(area.width - 6, 76)), footer: footer, in: area, into: &screen)
    }

    /// Words into lines of at most `width` columns.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = [], current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, DisplayWidth.of(current) + 1 + DisplayWidth.of(String(word)) > width {
                lines.append(current)
                current = ""
            }
            current += current.isEmpty ? String(word) : " " + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
