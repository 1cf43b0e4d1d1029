import DemoCluster
import NIOCore
import PropertyBased
import Testing
@testable import ThriftWire

/// Random values of every type survive encode → decode unchanged in both protocols.
@Suite("Round trips (property tests)")
struct RoundTripPropertyTests {
    static let scalarTypes: [TType] = [.bool, .byte, .i16, .i32, .i64, .double, .string, .uuid]
    static let allTypes: [TType] = scalarTypes + [.struct, .map, .set, .list]

    /// A random value of `type`, nested at most `depth` more levels.
    static func randomValue(_ type: TType, depth: Int, _ rng: inout any SeededRandomNumberGenerator) -> ThriftValue {
        func count() -> Int { Int.random(in: 0...(depth > 0 ? 5 : 0), using: &rng) }
        func elementType() -> TType {
            (depth > 0 ? allTypes : scalarTypes).randomElement(using: &rng)!
        }
        switch type {
        case .bool: return .bool(Bool.random(using: &rng))
        case .byte: return .byte(Int8.random(in: .min ... .max, using: &rng))
        case .i16: return .i16(edgeOrRandom(Int16.self, &rng))
        case .i32: return .i32(edgeOrRandom(Int32.self, &rng))
        case .i64: return .i64(edgeOrRandom(Int64.self, &rng))
        case .double:
            // Any bit pattern but NaN (NaN != NaN would fail equality, not the codec).
            var d: Double
            repeat { d = Double(bitPattern: UInt64.random(in: .min ... .max, using: &rng)) } while d.isNaN
            return .double(Bool.random(using: &rng) ? d : Double(Int.random(in: -1000...1000, using: &rng)) / 8)
        case .string:
            return .binary((0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        case .uuid: return .uuid((0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })
        case .struct:
            // Ids both close together (compact deltas) and far apart (full i16 ids), negative too.
            var ids = Set<Int16>()
            while ids.count < count() { ids.insert(Bool.random(using: &rng) ? Int16.random(in: 1...20, using: &rng) : Int16.random(in: .min ... .max, using: &rng)) }
            let fields = ids.sorted().map { ThriftField(id: $0, value: randomValue(elementType(), depth: depth - 1, &rng)) }
            return .struct(fields.shuffled(using: &rng))
        case .map:
            let k = elementType(), v = elementType()
            return .map(key: k, value: v, entries: (0..<count()).map { _ in
                ThriftMapEntry(key: randomValue(k, depth: depth - 1, &rng), value: randomValue(v, depth: depth - 1, &rng))
            })
        case .set:
            let e = elementType()
            return .set(element: e, elements: (0..<count()).map { _ in randomValue(e, depth: depth - 1, &rng) })
        case .list:
            let e = elementType()
            // Sometimes 15+ elements: the compact protocol's long list header.
            let n = Int.random(in: 0...10, using: &rng) == 0 ? Int.random(in: 15...40, using: &rng) : count()
            return .list(element: e, elements: (0..<n).map { _ in randomValue(e, depth: max(0, depth - 1), &rng) })
        case .stop, .void:
            preconditionFailure()
        }
    }

    static func edgeOrRandom<T: FixedWidthInteger>(_: T.Type, _ rng: inout any SeededRandomNumberGenerator) -> T {
        switch Int.random(in: 0...5, using: &rng) {
        case 0: return T.min
        case 1: return T.max
        case 2: return T(truncatingIfNeeded: Int.random(in: -2...2, using: &rng))
        default: return T.random(in: T.min ... T.max, using: &rng)
        }
    }

    static let structs = Generator<ThriftValue, Shrink.None<ThriftValue>>(run: { rng in
        randomValue(.struct, depth: 4, &rng)
    })

    func roundTrip(_ value: ThriftValue, _ kind: ThriftProtocolKind) throws -> ThriftValue {
        let bytes = ThriftMessage.encodeStruct(AnyStruct(value), protocolKind: kind)
        return try decode(AnyStruct.self, bytes, kind).value
    }

    /// The compact protocol writes no element types for an empty map (nor does any peer read
    /// them); compare those maps by emptiness alone.
    static func comparable(_ value: ThriftValue) -> ThriftValue {
        switch value {
        case let .struct(fields): .struct(fields.map { ThriftField(id: $0.id, value: comparable($0.value)) })
        case let .map(k, v, entries):
            entries.isEmpty ? .map(key: .string, value: .string, entries: [])
                : .map(key: k, value: v, entries: entries.map { ThriftMapEntry(key: comparable($0.key), value: comparable($0.value)) })
        case let .set(e, elements): .set(element: e, elements: elements.map(comparable))
        case let .list(e, elements): .list(element: e, elements: elements.map(comparable))
        default: value
        }
    }

    @Test func randomStructsRoundTripThroughTheBinaryProtocol() async {
        await propertyCheck(count: 400, input: Self.structs) { (value: ThriftValue) throws in
            #expect(try roundTrip(value, .binary) == value)
        }
    }

    @Test func randomStructsRoundTripThroughTheCompactProtocol() async {
        await propertyCheck(count: 400, input: Self.structs) { (value: ThriftValue) throws in
            #expect(Self.comparable(try roundTrip(value, .compact)) == Self.comparable(value))
        }
    }

    @Test func randomMessagesRoundTripThroughBothProtocolsAndBothTransports() async throws {
        await propertyCheck(count: 200, input: Self.structs, Gen.int(in: Int(Int32.min)...Int(Int32.max)), Gen.int(in: 1...4)) { (value: ThriftValue, seqid: Int, type: Int) throws in
            for kind in ThriftProtocolKind.allCases {
                let header = ThriftMessageHeader(name: "m\(seqid % 1000)", type: ThriftMessageType(rawValue: UInt8(type))!, sequenceID: Int32(seqid))
                let message = ThriftMessage.encode(header, body: AnyStruct(value), protocolKind: kind)
                // Framed: split by the frame decoder. Unframed: found by parsing.
                var stream = framed(message)
                let frame = try #require(try ThriftFrameDecoder().nextFrame(&stream))
                var unframedStream = message
                let unframed = try #require(try ThriftUnframedDecoder(protocolKind: kind).nextMessage(&unframedStream))
                #expect(unframedStream.readableBytes == 0)
                for bytes in [frame, unframed] {
                    let decoded = try ThriftMessage(decoding: bytes, protocolKind: kind)
                    #expect(decoded.header == header)
                    #expect(Self.comparable(try decoded.decodeBody(as: AnyStruct.self).value) == Self.comparable(value))
                }
            }
        }
    }

    @Test func skippingARandomValueConsumesExactlyItsBytes() async {
        await propertyCheck(count: 200, input: Self.structs) { (value: ThriftValue) throws in
            for kind in ThriftProtocolKind.allCases {
                var bytes = ThriftMessage.encodeStruct(AnyStruct(value), protocolKind: kind)
                bytes.writeBytes([0xAB, 0xCD])
                switch kind {
                case .binary:
                    var reader = BinaryProtocolReader(bytes)
                    try reader.skip(.struct)
                    #expect(reader.remaining == 2)
                case .compact:
                    var reader = CompactProtocolReader(bytes)
                    try reader.skip(.struct)
                    #expect(reader.remaining == 2)
                case .json:
                    var reader = JSONProtocolReader(bytes)
                    try reader.skip(.struct)
                    #expect(reader.remaining == 2)
                }
            }
        }
    }

    @Test func typedFb303ValuesRoundTrip() async {
        await propertyCheck(count: 100, input: Gen.int(in: Int(Int32.min)...Int(Int32.max)), Gen.letterOrNumber.string(of: 0...20)) { (code: Int, key: String) throws in
            for kind in ThriftProtocolKind.allCases {
                let status = ThriftSuccessResult(success: FBStatus(code: Int32(code)))
                #expect(try decode(ThriftSuccessResult<FBStatus>.self, ThriftMessage.encodeStruct(status, protocolKind: kind), kind).success == status.success)
                let counters = ThriftSuccessResult(success: [key: Int64(code), "x" + key: -1])
                #expect(try decode(ThriftSuccessResult<[String: Int64]>.self, ThriftMessage.encodeStruct(counters, protocolKind: kind), kind).success == counters.success)
                let work = DemoService.WorkResult(failed: DemoService.WorkFailed(reason: key, code: Int32(code)))
                #expect(try decode(DemoService.WorkResult.self, ThriftMessage.encodeStruct(work, protocolKind: kind), kind) == work)
            }
        }
    }
}
