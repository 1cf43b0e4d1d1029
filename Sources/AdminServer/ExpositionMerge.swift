/// Merges Prometheus text expositions whose metric families may be split between them (the
/// registry shards of `PrometheusMetrics`): each family comes out once, its `# HELP` and
/// `# TYPE` lines first, then its samples from every input, families in name order.
enum ExpositionMerge {
    private struct Family {
        var help: Substring?
        var type: Substring?
        var samples: [Substring] = []
    }

    static func merge(_ texts: [String]) -> String {
        var families: [Substring: Family] = [:]
        for text in texts {
            var current: Substring = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                    // "# HELP name text…" / "# TYPE name type": the family is the third word.
                    let name = line.dropFirst(7).prefix { $0 != " " }
                    current = name
                    if line.hasPrefix("# HELP ") {
                        if families[name]?.help == nil { families[name, default: Family()].help = line }
                    } else if families[name]?.type == nil {
                        families[name, default: Family()].type = line
                    }
                } else if !line.hasPrefix("#") {
                    // Samples follow their family's TYPE line (a histogram's _bucket, _sum and _count too).
                    families[current, default: Family()].samples.append(line)
                }
            }
        }
        var out = ""
        for name in families.keys.sorted() {
            let family = families[name]!
            if let help = family.help { out += help + "\n" }
            if let type = family.type { out += type + "\n" }
            for sample in family.samples { out += sample + "\n" }
        }
        return out
    }
}
