import ClusterModel

/// A column of the node table: its heading, width, how it sorts and how a node shows in it.
/// Adding a column is one case here plus its four answers (htop's "one meter, one file" habit).
public enum NodeColumn: String, Sendable, CaseIterable, Equatable {
    case state, name, address, fbStatus, p50, p99, sparkline, heartbeats, retries, inFlight
    case weight, share, availability, tls, lastError

    public var title: String {
        switch self {
        case .state: "STATE"
        case .name: "NAME"
        case .address: "ADDRESS"
        case .fbStatus: "FB303"
        case .p50: "P50"
        case .p99: "P99"
        case .sparkline: "LATENCY"
        case .heartbeats: "HB OK/FAIL"
        case .retries: "RETRIES"
        case .inFlight: "INFL"
        case .weight: "WEIGHT"
        case .share: "SHARE"
        case .availability: "AVAIL"
        case .tls: "TLS"
        case .lastError: "LAST ERROR"
        }
    }

    /// Lower survives longer when the terminal is narrow. State and name never go; the last
    /// error is the "why" an on-call engineer came for, so it outlives the numbers.
    public var priority: Int {
        switch self {
        case .state, .name: 0
        // A certificate about to expire (or one nobody checks) is what no other tool shows.
        case .tls: 1
        case .p99: 1
        case .share: 2
        case .lastError: 3
        case .inFlight, .weight: 4
        case .availability: 5
        case .p50, .sparkline: 6
        case .address: 7
        case .fbStatus, .retries: 8
        case .heartbeats: 9
        }
    }

    /// The Shift-letter that sorts by this column (pressed again, it reverses); nil: none.
    public var sortKey: Character? {
        switch self {
        case .state: "H"  // health
        case .name: "N"
        case .address: "A"
        case .fbStatus: "F"
        case .p50: "L"  // latency
        case .p99: "P"
        case .sparkline: nil
        case .heartbeats: "B"
        case .retries: "R"
        case .inFlight: "I"
        case .weight: "W"
        case .share: "%"
        case .availability: "V"
        case .tls: "T"
        case .lastError: "E"
        }
    }

    /// The word `:sort` takes for this column.
    public var commandName: String {
        switch self {
        case .state: "state"
        case .fbStatus: "fb303"
        case .sparkline: "latency"
        case .heartbeats: "heartbeats"
        case .inFlight: "inflight"
        case .availability: "avail"
        case .lastError: "error"
        default: title.lowercased()
        }
    }

    /// The column `:sort WORD` means: its command name, its title or a unique prefix of either.
    public static func named(_ word: String) -> NodeColumn? {
        let w = word.lowercased()
        let sortable = allCases.filter { $0 != .sparkline }
        if let exact = sortable.first(where: { $0.commandName == w || $0.title.lowercased() == w || $0.rawValue.lowercased() == w }) { return exact }
        if ["health", "worst"].contains(w) { return .state }
        let prefixed = sortable.filter { $0.commandName.hasPrefix(w) || $0.title.lowercased().hasPrefix(w) }
        return prefixed.count == 1 && !w.isEmpty ? prefixed[0] : nil
    }

    var isNumeric: Bool {
        switch self {
        case .state, .name, .address, .fbStatus, .sparkline, .tls, .lastError: false
        default: true
        }
    }

    /// The column's width for these nodes (name and address fit the longest, within bounds);
    /// 0: not shown (TLS in a cluster without TLS nodes).
    func width(for nodes: [NodeSnapshot]) -> Int {
        switch self {
        case .state: 10
        case .name: min(24, max(6, Self.widest(nodes, \.name)))
        case .address: min(21, max(7, Self.widest(nodes, \.address)))
        case .fbStatus: 12  // "STARTING 12s"
        case .p50: 7  // room for the slow mark
        case .p99: 6
        case .sparkline: 12
        case .heartbeats: 10
        case .retries: 7
        case .inFlight: 5
        case .weight: 6
        case .share: 6
        case .availability: 7
        case .tls: nodes.contains { $0.tls != nil } ? 10 : 0
        case .lastError: 20  // the minimum; it takes whatever is left
        }
    }

    /// The widest value of a text field; by index, so that no whole node is copied per row.
    private static func widest(_ nodes: [NodeSnapshot], _ field: KeyPath<NodeSnapshot, String>) -> Int {
        var widest = 0
        for i in nodes.indices { widest = max(widest, DisplayWidth.of(nodes[i][keyPath: field])) }
        return widest
    }

    /// How a node shows in this column at wall time `now`: text (not yet padded) and role.
    /// `medianP50` is the cluster's, for the slow mark (`SlowNode`).
    func span(for node: NodeSnapshot, width: Int, now: Double, medianP50: Double? = nil) -> Span {
        switch self {
        case .state: return Span("\(node.health.glyph) \(node.health.word(drained: node.operatorDrained))", .health(node.health))
        case .name: return Span(node.name, .text, bold: true)
        case .address: return Span(node.address, .dim)
        case .fbStatus:
            // The last reported status and its age; once the node is not serving it is history.
            guard let status = node.fbStatus else { return Span(node.serving || node.health == .unknown ? "-" : "—", .dim) }
            let text = node.fbStatusAt.map { "\(status) \(Format.age(now - $0))" } ?? status
            return Span(text, node.connected && node.health != .down ? .text : .dim)
        case .p50:
            if SlowNode.isSlow(node, medianP50: medianP50) { return Span(Format.millis(node.latencyP50) + "!", .warning, bold: true) }
            return numeric(Format.millis(node.latencyP50), present: node.latencyP50 != nil)
        case .p99: return numeric(Format.millis(node.latencyP99), present: node.latencyP99 != nil)
        case .sparkline: return Span(Sparkline.text(node.recentLatencies, width: width), .sparkline)
        case .heartbeats:
            let text = "\(Format.count(node.heartbeatsOK))/\(Format.count(node.heartbeatsFailed))"
            return Span(text, node.heartbeatsFailed > 0 ? .warning : .text)
        case .retries: return Span(Format.count(node.retries), node.retries > 0 ? .warning : .text)
        case .inFlight: return Span(String(node.inFlight), .text)
        case .weight:
            // A star marks an operator-changed weight, so a forgotten tweak is visible.
            let changed = node.weight != node.configuredWeight
            return Span(changed ? "\(node.weight)*" : String(node.weight), changed ? .notice : .text)
        case .share: return Span(Format.percent(node.trafficShare), .text)
        case .availability:
            return Span(Format.percent(node.availability, digits: 2), node.availability < 0.99 ? .warning : .text)
        case .tls: return Self.tlsSpan(node.tls, now: now)
        case .lastError: return Self.lastErrorSpan(node, now: now)
        }
    }

    /// "3s ago cannot connect…": the last error with its age, red while the node is in trouble,
    /// dimmed once it serves again (it is then history, kept for the why).
    static func lastErrorSpan(_ node: NodeSnapshot, now: Double) -> Span {
        guard let error = node.lastError else { return Span("", .dim) }
        let age = node.lastErrorAt.map { "\(Format.age(now - $0)) ago " } ?? ""
        return Span(age + error, node.recovered(at: now) ? .dim : .error)
    }

    /// `1.3 364d` for a checked certificate; `⚠ 5d` inside `tls_cert_warn_days`, `✗ expired`
    /// after; `⚠ noverify` for `tls_insecure_skip_verify` (its days follow in the detail).
    static func tlsSpan(_ tls: NodeTLS?, now: Double) -> Span {
        guard let tls else { return Span("-", .dim) }
        guard let certificate = tls.certificate else { return Span(tls.insecureSkipVerify ? "⚠ noverify" : "no cert", .warning) }
        let days = certificate.daysLeft(at: now)
        if certificate.notValidAfter <= now { return Span("✗ expired", .error, bold: true) }
        if tls.certificateExpiresSoon(at: now) { return Span("⚠ \(days)d", .warning, bold: true) }
        if tls.insecureSkipVerify { return Span("⚠ noverify", .warning) }
        let version = tls.version.map { $0.replacingOccurrences(of: "TLS ", with: "") + " " } ?? ""
        return Span("\(version)\(days)d", .text)
    }

    private func numeric(_ text: String, present: Bool) -> Span {
        Span(text, present ? .text : .dim)
    }

    // MARK: - sorting

    /// A value to sort by; nil (no data) sorts last in both directions.
    enum SortValue {
        case number(Double)
        case text(String)
    }

    /// Text compares "naturally": digit runs by value, so node-2 sorts before node-10 as an
    /// operator expects.
    static func naturalLess(_ a: String, _ b: String) -> Bool {
        // On the UTF-8 bytes in place: this runs ~10,000 times a sort of 1,000 nodes.
        var a = a, b = b
        return a.withUTF8 { x in b.withUTF8 { y in naturalLess(x, y) } }
    }

    private static func naturalLess(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        var i = 0, j = 0
        while i < a.count, j < b.count {
            guard isDigit(a[i]), isDigit(b[j]) else {
                if a[i] != b[j] { return a[i] < b[j] }
                i += 1
                j += 1
                continue
            }
            // Two digit runs: compare their values (no leading zeros, then length, then digits).
            while i < a.count, a[i] == 0x30 { i += 1 }
            while j < b.count, b[j] == 0x30 { j += 1 }
            var endA = i, endB = j
            while endA < a.count, isDigit(a[endA]) { endA += 1 }
            while endB < b.count, isDigit(b[endB]) { endB += 1 }
            if endA - i != endB - j { return endA - i < endB - j }
            while i < endA {
                if a[i] != b[j] { return a[i] < b[j] }
                i += 1
                j += 1
            }
        }
        return i == a.count && j < b.count
    }

    func sortValue(_ node: NodeSnapshot) -> SortValue? {
        switch self {
        case .state: .number(Double(Self.severityRank(node.health, drained: node.operatorDrained)))
        case .name: .text(node.name.lowercased())
        case .address: .text(node.address)
        case .fbStatus: node.fbStatus.map { .text($0) }
        case .p50: node.latencyP50.map { .number($0) }
        case .p99: node.latencyP99.map { .number($0) }
        case .sparkline: node.recentLatencies.last.map { .number($0) }
        case .heartbeats: .number(Double(node.heartbeatsFailed))
        case .retries: .number(Double(node.retries))
        case .inFlight: .number(Double(node.inFlight))
        case .weight: .number(Double(node.weight))
        case .share: .number(node.trafficShare)
        case .availability: .number(node.availability)
        case .tls: node.tls?.certificate.map { .number($0.notValidAfter) }
        case .lastError: node.lastError.map { .text($0) }
        }
    }

    /// Worst first: sorting by state ascending puts the trouble at the top. A node the operator
    /// drained is not trouble: it sorts after the serving ones.
    static func severityRank(_ health: NodeHealth, drained: Bool) -> Int {
        drained && health == .draining ? 7 : severityRank(health)
    }

    static func severityRank(_ health: NodeHealth) -> Int {
        switch health {
        case .down: 0
        case .suspect: 1
        case .degraded: 2
        case .starting: 3
        case .draining: 4
        case .unknown: 5
        case .up: 6
        }
    }
}

/// How the node table is ordered.
public struct NodeSort: Sendable, Equatable {
    public var column: NodeColumn
    public var descending: Bool

    public init(column: NodeColumn, descending: Bool) {
        self.column = column
        self.descending = descending
    }

    /// Worst first: by health, then the slowest p99 first (`H`).
    public static let worstFirst = NodeSort(column: .state, descending: false)

    /// The next of `columns` (those on screen) after this one (`s`), ascending again.
    public func next(among columns: [NodeColumn]) -> NodeSort {
        let order = columns.filter { $0.sortKey != nil }
        guard !order.isEmpty else { return self }
        let i = order.firstIndex(of: column) ?? -1
        return NodeSort(column: order[(i + 1) % order.count], descending: false)
    }

    /// Sorting by `column` directly: ascending, or reversed when it is already the column.
    public func by(_ column: NodeColumn) -> NodeSort {
        column == self.column ? NodeSort(column: column, descending: !descending) : NodeSort(column: column, descending: false)
    }

    /// `nodes` in this order; ties (and the many equal values of a quiet cluster) by name, so
    /// rows do not jump between frames.
    ///
    /// Keys are computed once per node and indices sorted, not the (large) node values: a
    /// 1,000-node table re-sorts for every new snapshot.
    public func apply(_ nodes: [NodeSnapshot]) -> [NodeSnapshot] {
        var present = [Bool](repeating: false, count: nodes.count)
        var numbers = [Double](repeating: 0, count: nodes.count)
        var texts = [String](repeating: "", count: nodes.count)
        for (i, node) in nodes.enumerated() {
            switch column.sortValue(node) {
            case let .number(n)?: (present[i], numbers[i]) = (true, n)
            case let .text(t)?: (present[i], texts[i]) = (true, t)
            case nil: break
            }
        }
        let names = nodes.map(\.name)
        // Within a health, the slowest first: the worst of the worst at the top.
        let p99s = column == .state ? nodes.map { $0.latencyP99 ?? -1 } : []
        let order = nodes.indices.sorted { a, b in
            if present[a] != present[b] { return present[a] }  // no data last, either direction
            if present[a] {
                if numbers[a] != numbers[b] { return descending ? numbers[a] > numbers[b] : numbers[a] < numbers[b] }
                if texts[a] != texts[b] {
                    return descending ? NodeColumn.naturalLess(texts[b], texts[a]) : NodeColumn.naturalLess(texts[a], texts[b])
                }
            }
            if !p99s.isEmpty, p99s[a] != p99s[b] { return descending ? p99s[a] < p99s[b] : p99s[a] > p99s[b] }
            return NodeColumn.naturalLess(names[a], names[b])
        }
        return order.map { nodes[$0] }
    }
}
