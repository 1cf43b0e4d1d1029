/// Hard limits applied while decoding, before anything is allocated.
///
/// Every length read off the wire is checked against the bytes left in the current frame (or
/// message), so a hostile peer can never make the decoder allocate more than it actually sent.
public struct ThriftLimits: Sendable, Equatable {
    /// libthrift's default `TConfiguration::DEFAULT_MAX_FRAME_SIZE`.
    public static let defaultMaxFrameSize = 16_384_000
    public static let defaultMaxDepth = 64

    /// The largest frame (framed transport) or message (unframed transport) accepted, in bytes.
    public var maxFrameSize: Int
    /// The deepest nesting of structs and containers accepted.
    public var maxDepth: Int

    public init(maxFrameSize: Int = ThriftLimits.defaultMaxFrameSize, maxDepth: Int = ThriftLimits.defaultMaxDepth) {
        precondition(maxFrameSize > 0, "maxFrameSize must be positive")
        precondition(maxDepth > 0, "maxDepth must be positive")
        self.maxFrameSize = maxFrameSize
        self.maxDepth = maxDepth
    }

    public static let `default` = ThriftLimits()
}
