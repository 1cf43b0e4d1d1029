import NIOCore
import Testing
@testable import ThriftWire

/// TJSONProtocol: exact text as Python's thrift 0.17 `TJSONProtocol` writes it, every type both
/// ways, and hostile input. The `python…` strings were captured by running the system
/// `/usr/bin/python3` (python3-thrift 0.17.0) writing the same values into a `TMemoryBuffer`.
@Suite("TJSONProtocol")
struct JSONProtocolTests {
    // MARK: Python's bytes

    static let pythonGetStatusCall = #"[1,"getStatus",1,0,{}]"#
    static let pythonGetStatusReply = #"[1,"getStatus",2,7,{"0":{"i32":2}}]"#
    static let pythonUnknownMethod = #"[1,"noSuchMethod",3,-5,{"1":{"str":"Unknown function noSuchMethod"},"2":{"i32":1}}]"#
    static let pythonOneway = #"[1,"m",4,2147483647,{}]"#
    /// Python escapes only `"`, `\` and `\b \f \n \r \t`: 0x01, 0x1F, 0x7F and non-ASCII go out raw.
    static let pythonEveryType = #"{"1":{"tf":1},"2":{"i8":-128},"3":{"i16":32767},"4":{"i32":-2147483648},"5":{"i64":-9223372036854775808},"6":{"i64":9223372036854775807},"7":{"dbl":0.10000000000000001},"8":{"str":"q\"b\\s/\b\f\n\r\t\#u{1}\#u{1F}\#u{7F} \#u{E9}\#u{20AC}\#u{1F600}"},"9":{"str":"AAH+/w=="},"10":{"lst":["i32",3,1,2,3]},"11":{"map":["str","i32",2,{"a":1,"b":2}]},"12":{"set":["tf",2,1,0]},"13":{"rec":{}},"-1":{"i16":-32768}}"#
    static let pythonEveryTypeText = "q\"b\\s/\u{8}\u{C}\n\r\t\u{1}\u{1F}\u{7F} é€😀"
    /// Map keys: numbers and bools quoted, struct and list keys written as they are.
    static let pythonIntKeys = #"["i32","tf",2,{"1":1,"-2":0}]"#
    static let pythonBoolKeys = #"["tf","dbl",2,{"1":1.5,"0":-0}]"#
    static let pythonStructKey = #"["rec","lst",1,{{"1":{"i32":3}}:["i8",0]}]"#
    static let pythonListKey = #"["lst","str",1,{["i16",1,4]:"YWI="}]"#
    static let pythonEmptyMap = #"["str","str",0,{}]"#
    /// `'{0:.17g}'`: enough digits for every double to read back to the same bits.
    static let pythonDoubleValues: [Double] = [
        -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1.0, 0.1, 123456789.125, 1e22, 2.2250738585072014e-308, -1.5, 1e-7, 100.0, 1e16, 1e17,
    ]
    static let pythonDoubles = #"["dbl",13,-0,4.9406564584124654e-324,1.7976931348623157e+308,1,0.10000000000000001,123456789.125,1e+22,2.2250738585072014e-308,-1.5,9.9999999999999995e-08,100,10000000000000000,1e+17]"#
    /// What Python writes for NaN and ±infinity: bare words, not JSON; we write the spec's strings.
    static let pythonSpecialDoubles = #"["dbl",3,nan,inf,-inf]"#
    static let pythonNaNKey = #"["dbl","i64",2,{"2.5":1,"nan":2}]"#
    static let pythonBase64 = #"["str",4,"","YQ==","YWI=","YWJj"]"#

    // MARK: helpers

    func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    func text(_ bytes: ByteBuffer) -> String { String(decoding: bytes.readableBytesView, as: UTF8.self) }

    func writeJSON(_ value: ThriftValue) -> String {
        var writer = JSONProtocolWriter()
        writer.writeValue(value)
        return text(writer.buffer)
    }

    /// Reads one value of `type` that must take up all of `input`.
    func readJSON(_ type: TType, _ input: String, limits: ThriftLimits = .default) throws -> ThriftValue {
        var reader = JSONProtocolReader(json(input), limits: limits)
        let value = try reader.readValue(type)
        #expect(reader.remaining == 0)
        return value
    }

    func readHeader(_ input: ByteBuffer) throws -> ThriftMessageHeader {
        var reader = JSONProtocolReader(input)
        return try reader.readMessageBegin()
    }

    func writeMessage(_ header: ThriftMessageHeader, _ body: some ThriftStruct) -> String {
        var writer = JSONProtocolWriter()
        writer.writeMessageBegin(header)
        body.write(to: &writer)
        writer.writeMessageEnd()
        return text(writer.buffer)
    }

    /// What the unframed splitter does: envelope, skip the body, the closing bracket.
    func measure(_ input: ByteBuffer, streaming: Bool = true) throws -> Int {
        var reader = streaming ? JSONProtocolReader(streaming: input, limits: .default) : JSONProtocolReader(input)
        _ = try reader.readMessageBegin()
        try reader.skip(.struct)
        try reader.readMessageEnd()
        return input.readableBytes - reader.remaining
    }

    func badJSONDetail(_ body: () throws -> Void) -> String? {
        if case let .badJSON(detail)? = wireErrorKind(body) { return detail }
        return nil
    }

    func isTruncated(_ kind: ThriftWireError.Kind?) -> Bool {
        if case .truncated? = kind { return true }
        return false
    }

    // MARK: messages

    @Test func messagesAreWrittenAsPythonWritesThem() {
        #expect(writeMessage(ThriftMessageHeader(name: "getStatus", type: .call, sequenceID: 0), ThriftEmptyStruct())
            == Self.pythonGetStatusCall)
        #expect(writeMessage(ThriftMessageHeader(name: "getStatus", type: .reply, sequenceID: 7), ThriftSuccessResult(success: Int32(2)))
            == Self.pythonGetStatusReply)
        #expect(writeMessage(ThriftMessageHeader(name: "noSuchMethod", type: .exception, sequenceID: -5),
                             TApplicationException(.unknownMethod, message: "Unknown function noSuchMethod"))
            == Self.pythonUnknownMethod)
    }

    @Test func pythonsMessagesAreRead() throws {
        var reader = JSONProtocolReader(json(Self.pythonUnknownMethod))
        #expect(try reader.readMessageBegin() == ThriftMessageHeader(name: "noSuchMethod", type: .exception, sequenceID: -5))
        #expect(try TApplicationException(from: &reader) == TApplicationException(.unknownMethod, message: "Unknown function noSuchMethod"))
        try reader.readMessageEnd()
        #expect(reader.remaining == 0)

        var reply = JSONProtocolReader(json(Self.pythonGetStatusReply))
        #expect(try reply.readMessageBegin() == ThriftMessageHeader(name: "getStatus", type: .reply, sequenceID: 7))
        #expect(try ThriftSuccessResult<Int32>(from: &reply).success == 2)
        try reply.readMessageEnd()
        #expect(reply.remaining == 0)
    }

    @Test func theHeaderEndsWithItsCommaSoTheBodyIsExactlyTheStruct() throws {
        var reader = JSONProtocolReader(json(Self.pythonGetStatusReply))
        _ = try reader.readMessageBegin()
        #expect(text(reader.buffer) == #"{"0":{"i32":2}}]"#)

        // Raw body bytes appended after the header, as a proxy forwards them.
        var writer = JSONProtocolWriter()
        writer.writeMessageBegin(ThriftMessageHeader(name: "m", type: .oneway, sequenceID: .max))
        #expect(text(writer.buffer) == #"[1,"m",4,2147483647,"#)
        writer.buffer.writeString("{}")
        writer.writeMessageEnd()
        #expect(text(writer.buffer) == Self.pythonOneway)
    }

    @Test func theUnframedSplitterMeasuresOneMessageAtATime() throws {
        let both = json(Self.pythonUnknownMethod + Self.pythonGetStatusReply)
        #expect(try measure(both) == Self.pythonUnknownMethod.utf8.count)
        #expect(try measure(json(Self.pythonGetStatusCall), streaming: false) == Self.pythonGetStatusCall.utf8.count)
    }

    @Test func whitespaceBetweenTokensIsAccepted() throws {
        let spaced = " [ 1 , \"getStatus\" ,\n2 , 7 ,\t{ \"0\" : { \"i32\" : 2 } , \"1\" : { \"lst\" : [ \"i8\" , 2 , 1 , -1 ] } }\r\n] "
        var reader = JSONProtocolReader(json(spaced))
        #expect(try reader.readMessageBegin() == ThriftMessageHeader(name: "getStatus", type: .reply, sequenceID: 7))
        #expect(try reader.readValue(.struct) == .struct([
            ThriftField(id: 0, value: .i32(2)),
            ThriftField(id: 1, value: .list(element: .byte, elements: [.byte(1), .byte(-1)])),
        ]))
        try reader.readMessageEnd()
        #expect(reader.remaining == 1)
        #expect(try measure(json(spaced)) == spaced.utf8.count - 1)
    }

    @Test func aVersionOtherThanOneIsRejected() {
        #expect(badJSONDetail { _ = try readHeader(json(#"[2,"m",1,0,{}]"#)) } == "message version 2, expected 1")
    }

    @Test func anUnknownMessageTypeIsNamed() {
        #expect(wireErrorKind { _ = try readHeader(json(#"[1,"m",9,0,{}]"#)) } == .unknownMessageType(9))
        #expect(badJSONDetail { _ = try readHeader(json(#"[1,"m",300,0,{}]"#)) } != nil)
    }

    @Test func aFramedMessageAtAnUnframedReaderIsATransportMismatch() {
        let message = Array(Self.pythonGetStatusCall.utf8)
        let framedMessage = [0, 0, 0, UInt8(message.count)] + message
        guard case .transportMismatch = wireErrorKind({ _ = try readHeader(buffer(framedMessage)) }) else {
            Issue.record("expected a transport mismatch")
            return
        }
    }

    // MARK: values

    @Test func everyTypeIsWrittenAsPythonWritesIt() throws {
        var writer = JSONProtocolWriter()
        writer.writeStructBegin()
        writer.writeFieldBegin(type: .bool, id: 1)
        writer.writeBool(true)
        writer.writeFieldBegin(type: .byte, id: 2)
        writer.writeByte(-128)
        writer.writeFieldBegin(type: .i16, id: 3)
        writer.writeI16(32767)
        writer.writeFieldBegin(type: .i32, id: 4)
        writer.writeI32(.min)
        writer.writeFieldBegin(type: .i64, id: 5)
        writer.writeI64(.min)
        writer.writeFieldBegin(type: .i64, id: 6)
        writer.writeI64(.max)
        writer.writeFieldBegin(type: .double, id: 7)
        writer.writeDouble(0.1)
        writer.writeFieldBegin(type: .string, id: 8)
        writer.writeString(Self.pythonEveryTypeText)
        writer.writeFieldBegin(type: .string, id: 9)
        writer.writeBinary([0x00, 0x01, 0xFE, 0xFF])
        writer.writeFieldBegin(type: .list, id: 10)
        writer.writeListBegin(element: .i32, count: 3)
        writer.writeI32(1)
        writer.writeI32(2)
        writer.writeI32(3)
        writer.writeFieldBegin(type: .map, id: 11)
        writer.writeMapBegin(key: .string, value: .i32, count: 2)
        writer.writeString("a")
        writer.writeI32(1)
        writer.writeString("b")
        writer.writeI32(2)
        writer.writeFieldBegin(type: .set, id: 12)
        writer.writeSetBegin(element: .bool, count: 2)
        writer.writeBool(true)
        writer.writeBool(false)
        writer.writeFieldBegin(type: .struct, id: 13)
        writer.writeStructBegin()
        writer.writeFieldStop()
        writer.writeStructEnd()
        writer.writeFieldBegin(type: .i16, id: -1)
        writer.writeI16(-32768)
        writer.writeFieldStop()
        writer.writeStructEnd()
        #expect(text(writer.buffer) == Self.pythonEveryType)
    }

    @Test func pythonsEveryTypeStructIsReadBack() throws {
        var reader = JSONProtocolReader(json(Self.pythonEveryType))
        var fields: [Int16: ThriftValue] = [:]
        var textField: String?
        var textKeys: [String: Int32]?
        var binaryField: [UInt8]?
        try reader.readStruct { r, field in
            // Field 9 is binary (base64), which a schema-less read takes for text.
            switch field.id {
            case 8: textField = try r.readString()
            case 9: binaryField = try r.readBinary()
            case 11: textKeys = try r.readField(field)
            default: fields[field.id] = try r.readValue(field.type)
            }
            return true
        }
        #expect(binaryField == [0x00, 0x01, 0xFE, 0xFF])
        #expect(reader.remaining == 0)
        #expect(textField == Self.pythonEveryTypeText)
        #expect(textKeys == ["a": 1, "b": 2])
        #expect(fields == [
            1: .bool(true), 2: .byte(-128), 3: .i16(32767), 4: .i32(.min), 5: .i64(.min), 6: .i64(.max), 7: .double(0.1),
            10: .list(element: .i32, elements: [.i32(1), .i32(2), .i32(3)]),
            12: .set(element: .bool, elements: [.bool(true), .bool(false)]),
            13: .struct([]),
            -1: .i16(-32768),
        ])
        // Skipping needs no schema: strings are skipped as JSON strings, never decoded.
        var skipper = JSONProtocolReader(json(Self.pythonEveryType))
        try skipper.skip(.struct)
        #expect(skipper.remaining == 0)
    }

    @Test func mapKeysAreWrittenAsPythonWritesThem() {
        #expect(writeJSON(.map(key: .i32, value: .bool, entries: [
            ThriftMapEntry(key: .i32(1), value: .bool(true)), ThriftMapEntry(key: .i32(-2), value: .bool(false)),
        ])) == Self.pythonIntKeys)
        #expect(writeJSON(.map(key: .bool, value: .double, entries: [
            ThriftMapEntry(key: .bool(true), value: .double(1.5)), ThriftMapEntry(key: .bool(false), value: .double(-0.0)),
        ])) == Self.pythonBoolKeys)
        #expect(writeJSON(.map(key: .struct, value: .list, entries: [
            ThriftMapEntry(key: .struct([ThriftField(id: 1, value: .i32(3))]), value: .list(element: .byte, elements: [])),
        ])) == Self.pythonStructKey)
        #expect(writeJSON(.map(key: .list, value: .string, entries: [
            // Schema-less, the base64 text of a binary value stays text.
            ThriftMapEntry(key: .list(element: .i16, elements: [.i16(4)]), value: .binary(Array("YWI=".utf8))),
        ])) == Self.pythonListKey)
        #expect(writeJSON(.map(key: .string, value: .string, entries: [])) == Self.pythonEmptyMap)
    }

    @Test func quotedNumberKeysAreReadBackAsNumbers() throws {
        for input in [Self.pythonIntKeys, Self.pythonBoolKeys, Self.pythonStructKey, Self.pythonListKey, Self.pythonEmptyMap] {
            #expect(writeJSON(try readJSON(.map, input)) == input)
        }
        #expect(try readJSON(.map, Self.pythonIntKeys) == .map(key: .i32, value: .bool, entries: [
            ThriftMapEntry(key: .i32(1), value: .bool(true)), ThriftMapEntry(key: .i32(-2), value: .bool(false)),
        ]))
        // A number key must be quoted, a number value must not. (Padded: `{1:2}` alone is too
        // short for one entry and fails the count check first.)
        #expect(badJSONDetail { _ = try readJSON(.map, #"["i32","i32",1,{1:2}   ]"#) } != nil)
        #expect(badJSONDetail { _ = try readJSON(.map, #"["i32","i32",1,{"1":"2"}]"#) } != nil)
    }

    /// Every type, nested, through the writer and back; uuid as Java (Apache 0.19+) writes it.
    static let everyType: ThriftValue = .struct([
        ThriftField(id: 1, value: .bool(true)),
        ThriftField(id: 2, value: .bool(false)),
        ThriftField(id: 3, value: .byte(.min)),
        ThriftField(id: 4, value: .byte(.max)),
        ThriftField(id: 5, value: .i16(.min)),
        ThriftField(id: 6, value: .i16(.max)),
        ThriftField(id: 7, value: .i32(.min)),
        ThriftField(id: 8, value: .i32(.max)),
        ThriftField(id: 9, value: .i64(.min)),
        ThriftField(id: 10, value: .i64(.max)),
        ThriftField(id: 11, value: .double(-1.25e-300)),
        ThriftField(id: 12, value: .binary([])),
        // Schema-less, a string is text (binary's base64 has typed tests below).
        ThriftField(id: 13, value: .binary(Array("ünï \"q\" \\ \n\t\u{1} 🚀".utf8))),
        ThriftField(id: 14, value: .uuid((0..<16).map { UInt8($0 * 17) })),
        ThriftField(id: 15, value: .struct([])),
        ThriftField(id: -32768, value: .list(element: .i64, elements: [.i64(0), .i64(-1)])),
        ThriftField(id: 32767, value: .set(element: .string, elements: [.binary([1]), .binary([2, 3]), .binary([4, 5, 6])])),
        ThriftField(id: 16, value: .list(element: .list, elements: [
            .list(element: .struct, elements: [.struct([ThriftField(id: 1, value: .double(2.5))]), .struct([])]),
            .list(element: .map, elements: []),
        ])),
        ThriftField(id: 17, value: .map(key: .uuid, value: .map, entries: [
            ThriftMapEntry(key: .uuid(Array(repeating: 0xAB, count: 16)),
                           value: .map(key: .double, value: .set, entries: [
                               ThriftMapEntry(key: .double(-0.5), value: .set(element: .bool, elements: [.bool(true)])),
                           ])),
        ])),
        ThriftField(id: 18, value: .map(key: .byte, value: .i16, entries: [ThriftMapEntry(key: .byte(-1), value: .i16(2))])),
        ThriftField(id: 19, value: .map(key: .i64, value: .uuid, entries: [ThriftMapEntry(key: .i64(.min), value: .uuid(Array(repeating: 0, count: 16)))])),
        ThriftField(id: 20, value: .map(key: .string, value: .struct, entries: [ThriftMapEntry(key: .binary(Array("ÿ".utf8)), value: .struct([]))])),
        ThriftField(id: 21, value: .map(key: .map, value: .list, entries: [
            ThriftMapEntry(key: .map(key: .i32, value: .i32, entries: [ThriftMapEntry(key: .i32(1), value: .i32(2))]),
                           value: .list(element: .double, elements: [.double(1e-7)])),
        ])),
        ThriftField(id: 22, value: .map(key: .set, value: .bool, entries: [
            ThriftMapEntry(key: .set(element: .byte, elements: []), value: .bool(false)),
        ])),
    ])

    @Test func everyTypeRoundTripsThroughThriftValue() throws {
        let written = writeJSON(Self.everyType)
        #expect(try readJSON(.struct, written) == Self.everyType)
        var skipper = JSONProtocolReader(json(written + "]x"))
        try skipper.skip(.struct)
        #expect(skipper.remaining == 2)
    }

    @Test func uuidIsWrittenAsJavaWritesIt() throws {
        let value = ThriftValue.struct([ThriftField(id: 1, value: .uuid([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF]))])
        #expect(writeJSON(value) == #"{"1":{"uid":"00112233-4455-6677-8899-aabbccddeeff"}}"#)
        #expect(try readJSON(.struct, #"{"1":{"uid":"00112233-4455-6677-8899-AABBCCDDEEFF"}}"#) == value)
        #expect(badJSONDetail { _ = try readJSON(.uuid, #""00112233445566778899aabbccddeeff""#) } != nil)
    }

    // MARK: doubles

    @Test func finiteDoublesHavePythonsSeventeenDigitsAndReadBackToTheSameBits() throws {
        #expect(writeJSON(.list(element: .double, elements: Self.pythonDoubleValues.map { .double($0) })) == Self.pythonDoubles)
        var reader = JSONProtocolReader(json(Self.pythonDoubles))
        #expect(try reader.readListBegin().count == Self.pythonDoubleValues.count)
        for expected in Self.pythonDoubleValues {
            #expect(try reader.readDouble().bitPattern == expected.bitPattern)
        }
        try reader.readListEnd()
        #expect(reader.remaining == 0)
    }

    @Test func anyDoubleBitPatternReadsBackUnchanged() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Double(bitPattern: state)
            guard case let .double(back) = try readJSON(.double, writeJSON(.double(value))) else {
                Issue.record("not a double")
                return
            }
            #expect(value.isNaN ? back.isNaN : back.bitPattern == value.bitPattern, "\(value)")
        }
    }

    @Test func nanAndInfinitiesAreTheSpecsQuotedStrings() throws {
        let specials = ThriftValue.list(element: .double, elements: [.double(.nan), .double(.infinity), .double(-.infinity)])
        let written = writeJSON(specials)
        #expect(written == #"["dbl",3,"NaN","Infinity","-Infinity"]"#)
        for input in [written, Self.pythonSpecialDoubles] {
            var reader = JSONProtocolReader(json(input))
            _ = try reader.readListBegin()
            #expect(try reader.readDouble().isNaN)
            #expect(try reader.readDouble() == .infinity)
            #expect(try reader.readDouble() == -.infinity)
            try reader.readListEnd()
            #expect(reader.remaining == 0)
        }
        #expect(writeJSON(.map(key: .double, value: .i64, entries: [ThriftMapEntry(key: .double(.nan), value: .i64(2))]))
            == #"["dbl","i64",1,{"NaN":2}]"#)
        guard case let .map(_, _, entries) = try readJSON(.map, Self.pythonNaNKey), entries.count == 2,
              case let .double(first) = entries[0].key, case let .double(second) = entries[1].key else {
            Issue.record("expected two double keys")
            return
        }
        #expect(first == 2.5)
        #expect(second.isNaN)
    }

    @Test func malformedDoublesAreRejected() {
        // Inside a list: a bare number running to the end of the input may just be cut off.
        for input in ["1.2.3", "--1", "e5", "\"\"", "\"one\"", "nope"] {
            #expect(badJSONDetail { _ = try readJSON(.list, #"["dbl",1,"# + input + "]") } != nil, "\(input)")
        }
        #expect(isTruncated(wireErrorKind { _ = try readJSON(.double, "1e") }))
    }

    // MARK: strings and binary

    @Test func everyEscapeIsRead() throws {
        var reader = JSONProtocolReader(json(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00""#))
        #expect(try reader.readString() == "\"\\/\u{8}\u{C}\n\r\t" + "Aé€😀")
        var raw = JSONProtocolReader(json("\"\u{1}é😀\""))
        #expect(try raw.readString() == "\u{1}é😀")
    }

    @Test func badEscapesAndLoneSurrogatesAreRejected() {
        for input in [#""\q""#, #""\u00g0""#, #""\ud83d""#, #""\ud83dx""#, #""\ude00""#, #""\ud83d\u0041""#, #""\ud83d\n""#] {
            #expect(badJSONDetail { var r = JSONProtocolReader(json(input)); _ = try r.readString() } != nil, "\(input)")
            #expect(badJSONDetail { var r = JSONProtocolReader(json(input)); try r.skipBinary() } != nil, "\(input)")
        }
    }

    @Test func binaryIsBase64WithPaddingAndReadWithOrWithout() throws {
        let values: [[UInt8]] = [[], Array("a".utf8), Array("ab".utf8), Array("abc".utf8)]
        var writer = JSONProtocolWriter()
        writer.writeListBegin(element: .string, count: values.count)
        for value in values { writer.writeBinary(value) }
        #expect(text(writer.buffer) == Self.pythonBase64)
        func readBinaries(_ input: String) throws -> [[UInt8]] {
            var reader = JSONProtocolReader(json(input))
            let header = try reader.readListBegin()
            let read = try (0..<header.count).map { _ in try reader.readBinary() }
            try reader.readListEnd()
            return read
        }
        #expect(try readBinaries(Self.pythonBase64) == values)
        #expect(try readBinaries(#"["str",4,"","YQ","YWI","YWJj"]"#) == values)
        for input in [#""Y""#, #""YQ!=""#, #""YW J""#, #""YWJjZ""#, #""YQ-_""#] {
            #expect(badJSONDetail { var reader = JSONProtocolReader(json(input)); _ = try reader.readBinary() } != nil, "\(input)")
        }
    }

    @Test func anEscapeThatTakesAShortStringPastItsLimitIsAnErrorNotATrap() {
        // A type name may be 8 bytes: "\u4e00" adds 3 at once, then more text follows.
        let input = #"{"1":{"aaaaaaa\u4e00x":1}}"#
        #expect(badJSONDetail { var reader = JSONProtocolReader(json(input)); try reader.skip(.struct) } != nil)
        #expect(badJSONDetail { var reader = JSONProtocolReader(json(#""1.5\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031xyz""#)); _ = try reader.readDouble() } != nil)
    }

    // MARK: hostile input

    @Test func aCountLargerThanTheBytesLeftIsRejectedBeforeAllocating() {
        #expect(wireErrorKind { _ = try readJSON(.list, #"["i32",2147483647,1]"#) } == .lengthExceedsFrame(length: 2_147_483_647, remaining: 3))
        #expect(wireErrorKind { _ = try readJSON(.map, #"["i32","i32",1000,{}]"#) } == .lengthExceedsFrame(length: 1000, remaining: 2))
        #expect(wireErrorKind { _ = try readJSON(.set, #"["i32",-1]"#) } == .negativeLength(-1))
        #expect(badJSONDetail { _ = try readJSON(.list, #"["i32",99999999999]"#) } != nil)
        var streaming = JSONProtocolReader(streaming: json(#"["i32",2147483647,1]"#), limits: .default)
        guard case .messageTooLarge = wireErrorKind({ _ = try streaming.readValue(.list) }) else {
            Issue.record("a count beyond the message limit must not wait for more bytes")
            return
        }
    }

    @Test func nestingDeeperThanTheLimitIsRejected() throws {
        func nestedStructs(_ depth: Int) -> String {
            String(repeating: #"{"1":{"rec":"#, count: depth - 1) + "{}" + String(repeating: "}}", count: depth - 1)
        }
        func nestedLists(_ depth: Int) -> String {
            String(repeating: #"["lst",1,"#, count: depth - 1) + #"["i32",0]"# + String(repeating: "]", count: depth - 1)
        }
        let limits = ThriftLimits(maxDepth: 4)
        _ = try readJSON(.struct, nestedStructs(4), limits: limits)
        _ = try readJSON(.list, nestedLists(4), limits: limits)
        #expect(wireErrorKind { _ = try readJSON(.struct, nestedStructs(5), limits: limits) } == .depthExceeded(limit: 4))
        #expect(wireErrorKind { _ = try readJSON(.list, nestedLists(5), limits: limits) } == .depthExceeded(limit: 4))
        var deep = JSONProtocolReader(json(String(repeating: #"{"1":{"rec":"#, count: 10_000)))
        #expect(wireErrorKind { try deep.skip(.struct) } == .depthExceeded(limit: 64))
    }

    @Test func everyPrefixOfAMessageIsTruncatedInBothModes() {
        let message = Array(Self.pythonUnknownMethod.utf8)
        for length in 0..<message.count {
            let prefix = buffer(Array(message[..<length]))
            #expect(isTruncated(wireErrorKind { _ = try measure(prefix) }), "streaming, \(length) bytes")
            #expect(isTruncated(wireErrorKind { _ = try measure(prefix, streaming: false) }), "\(length) bytes")
        }
    }

    @Test func numbersOutOfRangeOrTooLongAreRejected() {
        #expect(badJSONDetail { _ = try readJSON(.list, #"["i8",1,128]"#) }?.contains("out of range") == true)
        #expect(badJSONDetail { _ = try readJSON(.list, #"["i32",1,2147483648]"#) }?.contains("out of range") == true)
        #expect(badJSONDetail { _ = try readJSON(.list, #"["i64",1,9223372036854775808]"#) }?.contains("out of range") == true)
        #expect(badJSONDetail { _ = try readJSON(.list, #"["i32",1,1.5]"#) }?.contains("not an integer") == true)
        #expect(badJSONDetail { _ = try readJSON(.struct, #"{"40000":{"i32":1}}"#) }?.contains("out of range") == true)
        #expect(badJSONDetail { _ = try readJSON(.i64, String(repeating: "1", count: 65)) }?.contains("longer than") == true)
    }

    @Test func syntaxErrorsNameTheProblemAndItsOffset() throws {
        var reader = JSONProtocolReader(json(#"["i32",2,1;2]"#))
        let error = try #require(throws: ThriftWireError.self) { _ = try reader.readValue(.list) }
        #expect(error.kind == .badJSON("expected ',' but found ';'"))
        #expect(error.offset == 10)
        #expect(error.description == "malformed TJSONProtocol: expected ',' but found ';' (i32, at byte 10)")
        #expect(badJSONDetail { _ = try readJSON(.list, #"["xyz",0]"#) } == #"unknown type name "xyz""#)
        #expect(badJSONDetail { _ = try readJSON(.list, "[\"" + String(repeating: "x", count: 100_000) + "\",0]") }?
            .contains("longer than") == true)
        #expect(badJSONDetail { _ = try readJSON(.struct, #"{"1":{"i32":1},}"#) } != nil)
        #expect(badJSONDetail { _ = try readJSON(.struct, #"{"1":{"i32":1}]"#) } != nil)
    }
}
