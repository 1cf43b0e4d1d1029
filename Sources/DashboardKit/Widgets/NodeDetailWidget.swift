import ClusterModel

/// The node detail view (Enter): everything the pool knows about one node, as scrollable lines:
/// identity and fb303 facts, drain progress, traffic, availability now and if drained, a latency
/// histogram, counters and the node's recent warnings and errors.
struct NodeDetailWidget {
    var node: NodeSnapshot
    var snapshot: ClusterSnapshot
    var scroll: Int

    func render(_ area: Rect, into screen: inout Screen) {
        guard area.height > 0 else { return }
        let content = lines(width: area.width)
        let visible = area.height - 1
        let offset = min(scroll, max(0, content.count - visible))
        var segments = [Line([Span("Node ", .title), Span(node.name, .title, bold: true)]), Line("Esc back", .dim)]
        if content.count > visible { segments.append(Line("lines \(offset + 1)–\(min(content.count, offset + visible)) of \(content.count)", .dim)) }
        Box.rule(area.row(0), segments: segments, role: .borderFocused, into: &screen)
        for i in 0..<visible where offset + i < content.count {
            screen.put(content[offset + i], x: area.x + 1, y: area.y + 1 + i, maxWidth: area.width - 2)
        }
    }

    /// The content, for a view `width` columns wide; `scroll` is clamped against its count.
    func lines(width: Int) -> [Line] {
        var out = identity
        out += lastErrorLines(width: width)
        out.append(Line())
        let histogram = histogramLines(width: width >= 100 ? width / 2 - 2 : width - 2)
        let counters = counterLines
        if width >= 100 {
            out += Self.sideBySide(histogram, counters, leftWidth: width / 2)
        } else {
            out += histogram + [Line()] + counters
        }
        out += methodLines
        out.append(Line())
        out += recentErrors
        return out
    }

    /// The methods this node took: its attempts of each and how they ended, worst first.
    private var methodLines: [Line] {
        let mine = snapshot.methods.compactMap { method in method.nodes.first { $0.node == node.name }.map { (method.name, $0) } }
            .sorted { MethodsWidget.worse(($0.1.outcomes, $0.1.latencyP99, $0.0), than: ($1.1.outcomes, $1.1.latencyP99, $1.0)) }
        guard !mine.isEmpty else { return [] }
        var lines = [Line(), Line("Methods on this node (\(mine.count))", .title, bold: true)]
        for (name, figures) in mine {
            let o = figures.outcomes
            lines.append(Line([
                Span(Box.pad(Box.clip(name, 32), 33), .text, bold: true),
                Span("\(Format.count(o.total)) calls", .text),
                Span(" · err \(MethodsWidget.share(o.failed, of: o))", o.failed > 0 ? .error : .text),
                Span(" · p50 \(Format.millis(figures.latencyP50)) p99 \(Format.millis(figures.latencyP99))", .dim),
            ]))
        }
        return lines
    }

    private func field(_ label: String, _ spans: [Span]) -> Line {
        Line([Span(Box.pad(label, 13), .dim)] + spans)
    }

    private var identity: [Line] {
        var lines: [Line] = []
        let word = node.health.word(drained: node.operatorDrained)
        var head = [Span("\(node.health.glyph) \(word)", .health(node.health), bold: true), Span("  \(node.address)", .text)]
        if let group = node.group { head.append(Span("  group \(group)", .dim)) }
        if !node.tags.isEmpty { head.append(Span("  tags \(node.tags.joined(separator: ","))", .dim)) }
        lines.append(Line(head))

        var server = [Span(node.serverName ?? "-"), Span("  version ", .dim), Span(node.serverVersion ?? "-")]
        if let since = node.aliveSince {
            server += [Span("  up ", .dim), Span(Format.duration(snapshot.wallTime - Double(since))), Span(" (since \(Format.date(since)) UTC)", .dim)]
        }
        lines.append(field("Server", server))
        if !node.replyHeaders.isEmpty {
            lines.append(field("THeader", [Span("reply headers ", .dim), Span(node.replyHeaders.joined(separator: "  "), .text)]))
        }
        let status = node.fbStatus ?? "no fb303 status"
        let age = node.fbStatusAt.map { [Span(" \(Format.age(snapshot.wallTime - $0)) ago", .dim)] } ?? []
        lines.append(field("fb303 status", [Span(status, node.fbStatus == "ALIVE" && node.serving ? .up : .text)] + age
            + (node.statusDetails.isEmpty ? [] : [Span("  \(node.statusDetails)", .text)])))

        var connection = [Span(node.connected ? "connected" : "not connected", node.connected ? .text : .down)]
        if !node.wire.isEmpty { connection.append(Span(" · \(node.wire)", .dim)) }
        connection.append(Span(node.routable ? " · routable" : " · not routable", node.routable ? .text : .warning))
        if let ejected = node.ejectedFor { connection.append(Span(" · ejected for \(Format.duration(ejected))", .warning)) }
        lines.append(field("Connection", connection))
        lines.append(field("Drain", drainProgress))
        if let change = node.lastChange {
            lines.append(field("Last change", [Span(change.summary, change.localOnly ? .warning : .text)]))
        }
        lines.append(field("Traffic", [
            Span("weight \(node.weight)"), Span(node.weight != node.configuredWeight ? " (configured \(node.configuredWeight))" : "", .notice),
            Span(" · share \(Format.percent(node.trafficShare)) · in flight \(node.inFlight) · calls \(Format.count(node.calls))"),
            Span(" (\(Format.count(node.callFailures)) failed) · retries \(Format.count(node.retries))", node.callFailures > 0 ? .warning : .text),
        ]))
        lines.append(field("Heartbeats", [
            Span("\(Format.count(node.heartbeatsOK)) ok · "),
            Span("\(Format.count(node.heartbeatsFailed)) failed", node.heartbeatsFailed > 0 ? .warning : .text),
            Span(" · φ \(Format.fixed(node.phi, 2))", .dim),
        ] + (node.heartbeatTimeoutMillis.map { [Span(" · timeout \(Format.fixed($0, 0)) ms", .dim),
                                                 Span(" (call_timeout_ms, at most the interval less 2 ticks)", .dim)] } ?? [])))
        lines.append(field("Latency", [
            Span("p50 \(Format.millis(node.latencyP50))  p90 \(Format.millis(node.latencyP90))  p99 \(Format.millis(node.latencyP99))"),
            Span("  max \(Format.millis(node.latencyMax))  ewma \(Format.millis(node.latencyEWMA))  "),
            Span(Sparkline.text(node.recentLatencies, width: min(24, node.recentLatencies.count)), .sparkline),
        ]))
        let (routable, all) = snapshot.routableCount
        lines.append(field("Routable", [
            Span("\(routable)/\(all) nodes now"),
            Span(" · if drained \(node.routable ? routable - 1 : routable)/\(all)", node.routable ? .warning : .text),
        ]))
        lines.append(field("Availability", [
            Span("node \(Format.percent(node.availability, digits: 2))"), Span(" of its last heartbeats answered", .dim),
        ]))
        lines.append(field("", [
            Span("cluster model ", .dim),
            Span("now \(Format.percent(snapshot.availability, digits: 4))"),
            Span(" · if drained \(Format.percent(node.clusterAvailabilityIfDrained, digits: 4))",
                 node.clusterAvailabilityIfDrained < snapshot.availability ? .warning : .text),
            Span("  1 − Π(1 − Aᵢ) over routable nodes: the chance any one answers", .dim),
        ]))
        lines += tlsLines
        return lines
    }

    /// The last error whole, wrapped, with its age: the table's column can only cut it.
    private func lastErrorLines(width: Int) -> [Line] {
        guard node.lastError != nil else { return [field("Last error", [Span("none", .dim)])] }
        let span = NodeColumn.lastErrorSpan(node, now: snapshot.wallTime)
        let room = max(20, width - 16)
        var chunks: [String] = []
        var rest = Substring(span.text)
        while !rest.isEmpty {
            chunks.append(String(rest.prefix(room)))
            rest = rest.dropFirst(room)
        }
        return chunks.enumerated().map { i, chunk in field(i == 0 ? "Last error" : "", [Span(chunk, span.style)]) }
    }

    /// The peer certificate of the last handshake: what `openssl s_client` would take an
    /// operator three commands to find.
    private var tlsLines: [Line] {
        guard let tls = node.tls else { return [] }
        // No cipher: swift-nio-ssl does not say which one was negotiated.
        var head = [Span(tls.version ?? "no handshake yet", tls.version == nil ? .dim : .text)]
        if tls.insecureSkipVerify { head.append(Span(" · ⚠ certificate NOT verified (tls_insecure_skip_verify)", .warning, bold: true)) }
        var lines = [field("TLS", head)]
        guard let certificate = tls.certificate else { return lines }
        let now = snapshot.wallTime
        let days = certificate.daysLeft(at: now)
        let expiry: Span = certificate.notValidAfter <= now
            ? Span("expired \(-days) day\(-days == 1 ? "" : "s") ago", .error, bold: true)
            : Span("\(days) day\(days == 1 ? "" : "s") left", tls.certificateExpiresSoon(at: now) ? .warning : .text,
                   bold: tls.certificateExpiresSoon(at: now))
        lines.append(field("Certificate", [Span(certificate.subject)]))
        lines.append(field("  SANs", [Span(certificate.alternativeNames.isEmpty ? "none" : certificate.alternativeNames.joined(separator: ", "))]))
        lines.append(field("  issuer", [Span(certificate.issuer)]))
        lines.append(field("  valid", [
            Span("\(Format.date(Int64(certificate.notValidBefore))) – \(Format.date(Int64(certificate.notValidAfter))) UTC · ", .text), expiry,
            Span(" (warns under \(tls.certWarnDays) days)", .dim),
        ]))
        return lines
    }

    private var drainProgress: [Span] {
        if node.isFullyDrained { return [Span("drained", .draining, bold: true), Span(": no calls in flight, safe to stop", .text)] }
        if node.operatorDrained { return [Span("drained", .draining, bold: true), Span(": \(node.inFlight) call\(node.inFlight == 1 ? "" : "s") still in flight", .text)] }
        if node.health == .draining { return [Span("the server is stopping itself (fb303 STOPPING)", .draining)] }
        return [Span("not drained", .dim)]
    }

    private func histogramLines(width: Int) -> [Line] {
        var lines = [Line("Latency histogram", .title, bold: true)]
        let buckets = node.latencyHistogram
        guard let top = buckets.map(\.count).max(), top > 0 else { return lines + [Line("no samples yet", .dim)] }
        let total = buckets.reduce(0) { $0 + $1.count }
        let barWidth = max(4, width - 9 - 11)
        for bucket in buckets {
            let label = bucket.upperBoundMillis.isFinite ? "≤" + Format.millis(bucket.upperBoundMillis) : ">" + Format.millis(buckets.dropLast().last?.upperBoundMillis)
            let share = total > 0 ? Double(bucket.count) / Double(total) : 0
            lines.append(Line([
                Span(Box.pad(label, 8), .dim), Span(" "),
                Span(Box.pad(Self.bar(Double(bucket.count) / Double(top), width: barWidth), barWidth), .histogram),
                Span(Box.pad(Format.count(bucket.count), 6, right: true), .text),
                Span(Box.pad(Format.percent(share, digits: 0), 5, right: true), .dim),
            ]))
        }
        return lines
    }

    private var counterLines: [Line] {
        var lines = [Line("Counters (\(node.counters.count))", .title, bold: true)]
        guard !node.counters.isEmpty else { return lines + [Line("none reported", .dim)] }
        let nameWidth = min(40, node.counters.keys.map { DisplayWidth.of($0) }.max() ?? 0)
        for name in node.counters.keys.sorted() {
            lines.append(Line([Span(Box.pad(name, nameWidth), .text), Span(" " + String(node.counters[name] ?? 0), .notice)]))
        }
        return lines
    }

    private var recentErrors: [Line] {
        let events = snapshot.events.reversed().filter { $0.node == node.name && $0.severity >= .warning }
        var lines = [Line("Recent warnings and errors (\(events.count))", .title, bold: true)]
        guard !events.isEmpty else { return lines + [Line("none in the event log", .dim)] }
        for event in events.prefix(20) {
            let role = ThemeRole.severity(event.severity)
            lines.append(Line([
                Span(Format.clock(event.time) + " ", .dim), Span(EventLogWidget.label(event.severity) + " ", role, bold: true),
                Span(event.message, role),
            ]))
        }
        return lines
    }

    /// A bar `fraction` of `width` long, in eighths so small differences still show.
    static func bar(_ fraction: Double, width: Int) -> String {
        let eighths = Int((max(0, min(1, fraction)) * Double(width * 8)).rounded())
        let partial: [String] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        let full = String(repeating: "█", count: eighths / 8)
        return full + partial[eighths % 8] + (fraction > 0 && eighths == 0 ? "▏" : "")
    }

    /// Two columns of lines next to each other, the left padded to `leftWidth`.
    static func sideBySide(_ left: [Line], _ right: [Line], leftWidth: Int) -> [Line] {
        (0..<max(left.count, right.count)).map { i in
            let l = i < left.count ? left[i] : Line()
            let r = i < right.count ? right[i] : Line()
            return l + Line(String(repeating: " ", count: max(1, leftWidth - l.width))) + r
        }
    }
}
