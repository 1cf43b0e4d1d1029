#!/usr/bin/python3
"""Prints golden messages written by Apache Thrift's own Python library (python3-thrift 0.17),
one a line as "NAME HEX", for thrifttop's THeader and TJSONProtocol tests. THeader lines are the
whole frame as it goes on the wire, frame length first. Deterministic: no clock, no sets of more
than one element (Python's set order changes from run to run), zlib at its default level.

    /usr/bin/python3 demo/python/golden_wire.py

THeader as Python writes it (THeaderTransport.flush):
    i32 frame length (bytes after it) | u16 0x0FFF magic | u16 flags (0 from a client; a server
    echoes the request's) | i32 seqid (the message's) | u16 header length in 4-byte words |
    varint protocol id (0 binary, 2 compact) | varint transform count | varint transform ids
    (1 zlib) | [varint 1 (key-value) | varint count | (varint len, key, varint len, value)...]
    only when there are info headers | 0x00 padding to a multiple of 4 | payload (zlib.compress
    of the message when transformed)
"""

import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import thriftgen  # noqa: E402

thriftgen.ensure("wiretest.thrift")

import wireforms  # noqa: E402
from fb303.ttypes import fb_status  # noqa: E402
from thrift.protocol.THeaderProtocol import THeaderProtocol  # noqa: E402
from thrift.protocol.TJSONProtocol import TJSONProtocol  # noqa: E402
from thrift.Thrift import TMessageType  # noqa: E402
from thrift.transport.THeaderTransport import THeaderClientType, THeaderSubprotocolID, THeaderTransformID  # noqa: E402
from thrift.transport.TTransport import TMemoryBuffer, TTransportBase  # noqa: E402
from wiretest import WireTest  # noqa: E402
from wiretest.ttypes import Color, Everything, Inner, Point, Shape  # noqa: E402

SEQID = 7


class Duplex(TTransportBase):
    """Reads from given bytes, keeps what is written: a server's connection in memory."""

    def __init__(self, incoming):
        self.incoming = io.BytesIO(incoming)
        self.outgoing = io.BytesIO()

    def isOpen(self):
        return True

    def read(self, sz):
        return self.incoming.read(sz)

    def write(self, buf):
        self.outgoing.write(buf)

    def flush(self):
        pass


def header_call(protocol_id=THeaderSubprotocolID.BINARY, zlib=False, info=None):
    """FacebookService.Client(THeaderProtocol(TMemoryBuffer(), ...)).send_getStatus(), seqid 7;
    zlib: protocol.add_transform(THeaderTransformID.ZLIB); info: protocol.set_header(k, v)."""
    buffer = TMemoryBuffer()
    protocol = THeaderProtocol(buffer, (THeaderClientType.HEADERS,), protocol_id)
    if zlib:
        protocol.add_transform(THeaderTransformID.ZLIB)
    for key, value in (info or {}).items():
        protocol.set_header(key, value)
    client = WireTest.Client(protocol)
    client._seqid = SEQID  # Python's generated clients never change it: they always send 0
    client.send_getStatus()
    return buffer.getvalue()


class StatusHandler(WireTest.Iface):
    def getStatus(self):
        return fb_status.ALIVE


def header_reply(call):
    """What Python's own THeader server answers to call: WireTest.Processor.process(p, p) with
    p = THeaderProtocol(connection, (HEADERS,)), as TThreadedServer does (one protocol for both
    directions). No transforms of its own, whatever the call had."""
    connection = Duplex(call)
    protocol = THeaderProtocol(connection, (THeaderClientType.HEADERS,))
    WireTest.Processor(StatusHandler()).process(protocol, protocol)
    return connection.outgoing.getvalue()


def json_call():
    """WireTest.Client(TJSONProtocol(TMemoryBuffer())).send_getStatus(), seqid 7."""
    buffer = TMemoryBuffer()
    client = WireTest.Client(TJSONProtocol(buffer))
    client._seqid = SEQID
    client.send_getStatus()
    return buffer.getvalue()


def everything():
    return Everything(
        flag=True, tiny=-128, small=32767, medium=-(2**31), large=2**63 - 1, real=float("nan"),
        text="naïve \"quoted\" back\\slash\n😀", ints=[1, -1, 2**31 - 1], names={"ünï"},
        byPoint={Point(x=1, y=-2): "p", Point(x=0, y=0): ""}, counts={"k": -(2**63), "é": 0},
        inner=Inner(name="inner", where=Point(x=3, y=4), groups={"g": [Point(x=5, y=6)], "none": []},
                    tint=Color.NEGATIVE),
        shape=Shape(radius=float("inf")), color=Color.LARGEST, note="optional", maybe=-1,
        nested=[["a"], []], weights={1: float("-inf"), 2: -0.0, 3: 5e-324}, bools=[True, False], far=1000)


def json_echo_reply(protocol_class):
    """What WireTest.Processor's process_echo writes for a successful echo: writeMessageBegin(
    "echo", REPLY, 7), echo_result(success=everything()).write, writeMessageEnd."""
    buffer = TMemoryBuffer()
    protocol = protocol_class(buffer)
    protocol.writeMessageBegin("echo", TMessageType.REPLY, SEQID)
    WireTest.echo_result(success=everything()).write(protocol)
    protocol.writeMessageEnd()
    return buffer.getvalue()


def main():
    info = {b"client": b"thrifttop", b"trace": b"abc"}
    zlib_call = header_call(zlib=True)
    lines = [
        ("header_getStatus_call_binary", header_call()),
        ("header_getStatus_call_compact", header_call(THeaderSubprotocolID.COMPACT)),
        ("header_getStatus_call_binary_zlib", zlib_call),
        ("header_getStatus_call_binary_info", header_call(info=info)),
        ("header_getStatus_reply_binary", header_reply(header_call())),
        ("header_getStatus_reply_compact", header_reply(header_call(THeaderSubprotocolID.COMPACT))),
        # Python's own server answers a zlib call without zlib (wire_server.py adds it).
        ("header_getStatus_reply_binary_to_zlib_call", header_reply(zlib_call)),
        ("json_getStatus_call", json_call()),
        # Python's own TJSONProtocol: NaN and infinities as bare nan, inf, -inf (not JSON; its
        # own reader refuses them).
        ("json_echo_reply", json_echo_reply(TJSONProtocol)),
        # The same through wireforms.TJSONProtocolQuotedDoubles: "NaN", "Infinity", "-Infinity"
        # quoted, as Java and C++ write them. Not Python's own output.
        ("json_echo_reply_quoted_doubles", json_echo_reply(wireforms.TJSONProtocolQuotedDoubles)),
    ]
    for name, data in lines:
        print(name, data.hex())


if __name__ == "__main__":
    main()
