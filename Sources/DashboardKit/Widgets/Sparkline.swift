/// A one-row chart of recent values in block characters (▁▂▃▄▅▆▇█), newest at the right.
///
/// Bars are scaled from zero to the largest value shown, not from the smallest, so a flat 1 ms
/// line stays low and a spike stands out; a latency sparkline that auto-scales its floor would
/// make noise look like trouble.
public enum Sparkline {
    public static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The last `width` values as blocks, right-aligned (padded with spaces on the left).
    public static func text(_ values: [Double], width: Int) -> String {
        guard width > 0 else { return "" }
        let shown = values.suffix(width).map { $0.isFinite ? max(0, $0) : 0 }
        let top = shown.max() ?? 0
        let bars = shown.map { v -> Character in
            guard top > 0 else { return blocks[0] }
            let level = Int((v / top * Double(blocks.count - 1)).rounded())
            return blocks[min(blocks.count - 1, max(0, level))]
        }
        return String(repeating: " ", count: width - bars.count) + String(bars)
    }
}
