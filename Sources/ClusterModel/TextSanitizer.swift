/// Cleans text that came from a server (status details, exception messages, names, counter
/// keys) before it enters the pool: terminal escape sequences and control characters removed,
/// length bounded. A hostile server must not be able to move the cursor or recolour the screen.
public enum TextSanitizer {
    public static let maximumLength = 512

    public static func clean(_ text: String, maximumLength: Int = TextSanitizer.maximumLength) -> String {
        var out = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        var count = 0
        while let scalar = scalars.next() {
            switch scalar.value {
            case 0x1B:
                skipEscapeSequence(&scalars)
            case 0x09, 0x0A, 0x0D:
                out.append(" ")
                count += 1
            case 0x00...0x1F, 0x7F, 0x80...0x9F:
                // C1 CSI (0x9B) starts a sequence like ESC [ does.
                if scalar.value == 0x9B { skipControlSequenceBody(&scalars) }
            case 0x200B...0x200F, 0x202A...0x202E, 0x2066...0x2069:
                // Zero-width and bidirectional controls can disguise text; drop them.
                break
            default:
                out.append(scalar)
                count += 1
            }
            if count >= maximumLength {
                out.append("…")
                break
            }
        }
        return String(out)
    }

    private static func skipEscapeSequence(_ scalars: inout String.UnicodeScalarView.Iterator) {
        guard let next = scalars.next() else { return }
        switch next {
        case "[":
            skipControlSequenceBody(&scalars)
        case "]", "P", "X", "^", "_":
            // OSC / DCS / SOS / PM / APC: up to BEL or ST (ESC \).
            while let s = scalars.next() {
                if s.value == 0x07 { return }
                if s.value == 0x1B { _ = scalars.next(); return }
            }
        default:
            // Two-character escape (ESC c, ESC 7…): already consumed.
            return
        }
    }

    private static func skipControlSequenceBody(_ scalars: inout String.UnicodeScalarView.Iterator) {
        while let s = scalars.next() {
            if (0x40...0x7E).contains(s.value) { return }
        }
    }
}
