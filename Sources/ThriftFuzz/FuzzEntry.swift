import DemoCluster
import Foundation
import NIOCore
import ThriftWire

/// Which decoders a run feeds (`THRIFTTOP_FUZZ`): "wire", "header", "json", or all when unset.
let family = ProcessInfo.processInfo.environment["THRIFTTOP_FUZZ"] ?? "all"

/// Feeds arbitrary bytes through everything that parses untrusted input: the framed and the
/// unframed splitters, the envelope in every protocol, a schema-less walk of the body, THeader
/// frames (zlib included) and the JSON reader alone. Any thrown `ThriftWireError` is fine; a
/// crash, a trap or a hang is a bug.
func fuzzOne(_ bytes: UnsafeRawBufferPointer) {
    let limits = ThriftLimits(maxFrameSize: 1 << 16, maxDepth: 64)
    let input = ByteBuffer(bytes: bytes)
    if family == "all" || family == "header" { fuzzTHeader(input, limits) }
    if family == "all" || family == "json" { walk(input, .json, limits) }
    guard family == "all" || family == "wire" else { return }

    var framed = input
    let frameDecoder = ThriftFrameDecoder(maxFrameSize: limits.maxFrameSize)
    while let frame = try? frameDecoder.nextFrame(&framed) {
        for kind in ThriftProtocolKind.allCases { walk(frame, kind, limits) }
    }
    for kind in ThriftProtocolKind.allCases {
        var stream = input
        let decoder = ThriftUnframedDecoder(protocolKind: kind, limits: limits)
        while let message = try? decoder.nextMessage(&stream) {
            walk(message, kind, limits)
        }
        walk(input, kind, limits)
    }
}

/// THeader: the frame splitter, then each frame's header, transforms and payload.
func fuzzTHeader(_ input: ByteBuffer, _ limits: ThriftLimits) {
    var stream = input
    let frameDecoder = ThriftFrameDecoder(maxFrameSize: limits.maxFrameSize)
    while let frame = try? frameDecoder.nextFrame(&stream) {
        guard let (metadata, payload) = try? THeaderCodec.decode(frame, limits: limits) else { continue }
        walk(payload, metadata.protocolKind, limits)
        _ = THeaderCodec.encode(payload, metadata: metadata)
    }
    // A frame body without its length, as the codec sees it.
    if let (metadata, payload) = try? THeaderCodec.decode(input, limits: limits) {
        walk(payload, metadata.protocolKind, limits)
    }
}

func walk(_ buffer: ByteBuffer, _ kind: ThriftProtocolKind, _ limits: ThriftLimits) {
    guard let message = try? ThriftMessage(decoding: buffer, protocolKind: kind, limits: limits) else { return }
    _ = try? message.decodeBody(as: AnyStruct.self)
    _ = try? message.result(as: TApplicationException.self)
    _ = try? message.result(as: DemoService.WorkResult.self)
    _ = try? message.result(as: ThriftSuccessResult<[String: Int64]>.self)
}

/// A struct read without a schema, every field kept as a `ThriftValue`.
struct AnyStruct: ThriftStruct {
    var value: ThriftValue
    init<R: ThriftProtocolReader>(from reader: inout R) throws { value = try reader.readValue(.struct) }
    func write<W: ThriftProtocolWriter>(to writer: inout W) { writer.writeValue(value) }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
/// Without libFuzzer: replays corpus files given as arguments, so a crash file can be re-run
/// under the debugger and the target is compiled by every ordinary build.
@main
struct FuzzReplay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { fuzzOne($0) }
            print("replayed \(path) (\(data.count) bytes): ok")
        }
    }
}
#endif
