import DemoCluster
import NIOCore
import ThriftWire

/// Feeds arbitrary bytes through everything that parses untrusted input: the framed and the
/// unframed splitters, the envelope in both protocols, and a schema-less walk of the body.
/// Any thrown `ThriftWireError` is fine; a crash, a trap or a hang is a bug.
func fuzzOne(_ bytes: UnsafeRawBufferPointer) {
    let limits = ThriftLimits(maxFrameSize: 1 << 16, maxDepth: 64)
    let input = ByteBuffer(bytes: bytes)

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
import Foundation

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
