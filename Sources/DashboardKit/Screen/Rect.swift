/// A rectangle of cells on a `Screen`; widgets render into one and never outside it.
public struct Rect: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var isEmpty: Bool { width == 0 || height == 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    /// The single row `index` rows down (clipped to an empty rect past the bottom).
    public func row(_ index: Int) -> Rect {
        index < height ? Rect(x: x, y: y + index, width: width, height: 1) : Rect(x: x, y: maxY, width: width, height: 0)
    }

    /// Shrunk by `margin` cells on every side (a box's inside).
    public func inset(_ margin: Int) -> Rect {
        Rect(x: x + margin, y: y + margin, width: width - 2 * margin, height: height - 2 * margin)
    }

    /// A `width`×`height` rectangle centred in this one, never larger than it.
    public func centered(width w: Int, height h: Int) -> Rect {
        let w = min(w, width), h = min(h, height)
        return Rect(x: x + (width - w) / 2, y: y + (height - h) / 2, width: w, height: h)
    }
}
