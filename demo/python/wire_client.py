#!/usr/bin/python3
"""Calls WireTest (demo/wiretest.thrift) with Apache Thrift's own Python library in any wire
form and checks that every value comes back as sent: extreme integers, NaN, infinities, -0.0,
the smallest and largest doubles, non-ASCII and escape-worthy strings, empty and full
containers, struct map keys, nested structs, each union arm, each enum value, unset and set
optionals; echoBinary with all 256 byte values; the declared WireFailed; a oneway ping and a
call after it; lastRequestHeaders.

    /usr/bin/python3 demo/python/wire_client.py --port 9090 --transport header --zlib --header trace=abc
    /usr/bin/python3 demo/python/wire_client.py --port 9090 --transport http --protocol json --skip binary

Prints one JSON line:
    {"ok": bool, "server_name": ..., "checks": {"echo.i64max": "ok" | "sent X got Y" | "error: ...", ...},
     "reply_headers": {...}, "request_headers_seen_by_server": {...}}
reply_headers are the THeader info headers of the reply to the getStatus call after the oneway;
request_headers_seen_by_server is what lastRequestHeaders said about that same call. With
--header, checks also hold headers.seen.K (the server saw K=V) and headers.echoed.K (the reply
carried x-echo-K=V). Doubles compare NaN by isnan and zeros by sign.

Exits 0 when the checks ran, whatever they found; 2 on a connection error (message on stderr).
A call failing in transport is its check's "error: ..."; the client then reconnects.
"""

import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import thriftgen  # noqa: E402

thriftgen.ensure("wiretest.thrift")

import wireforms  # noqa: E402
from fb303.ttypes import fb_status  # noqa: E402
from thrift.Thrift import TApplicationException  # noqa: E402
from wiretest import WireTest  # noqa: E402
from wiretest.ttypes import Color, Everything, Inner, Point, Shape, WireFailed  # noqa: E402

NAN, INF = float("nan"), float("inf")
TRICKY_TEXT = "quote \" backslash \\ slash / \b\f\n\r\t nul \x00 soh \x01 us \x1f del \x7f ls \u2028 end"
NON_ASCII = "héllo wörld — 日本語 ключ 😀 👩‍💻"


def base():
    """A fully populated value with ordinary contents; each check changes part of it."""
    return Everything(
        flag=True, tiny=7, small=-300, medium=70000, large=1 << 40, real=2.5, text="plain",
        ints=[1, -1, 0, 2**31 - 1, -(2**31)], names={"alpha", "beta", ""},
        byPoint={Point(x=1, y=2): "a", Point(x=-3, y=0): "b"}, counts={"x": 1, "y": -(2**63), "": 2**63 - 1},
        inner=Inner(name="in", where=Point(x=5, y=6), groups={"g": [Point(x=0, y=0), Point(x=1, y=1)], "none": []},
                    tint=Color.BLUE),
        shape=Shape(label="circle"), color=Color.GREEN, note="n", maybe=-1,
        nested=[["a", "b"], [], ["c"]], weights={1: 0.5, -2: -1e-3}, bools=[True, False, True], far=-32768)


def changed(**fields):
    value = base()
    for key, field in fields.items():
        setattr(value, key, field)
    return value


def echo_cases(skip):
    cases = {
        "echo.bool_true": changed(flag=True, bools=[True]),
        "echo.bool_false": changed(flag=False, bools=[False]),
        "echo.i8min": changed(tiny=-128), "echo.i8max": changed(tiny=127),
        "echo.i16min": changed(small=-32768), "echo.i16max": changed(small=32767),
        "echo.i32min": changed(medium=-(2**31), ints=[-(2**31)]), "echo.i32max": changed(medium=2**31 - 1),
        "echo.i64min": changed(large=-(2**63)), "echo.i64max": changed(large=2**63 - 1),
        "echo.double_negzero": changed(real=-0.0, weights={0: -0.0}),
        "echo.double_min_subnormal": changed(real=5e-324), "echo.double_max": changed(real=1.7976931348623157e308),
        "echo.double_lowest": changed(real=-1.7976931348623157e308),
        "echo.double_tenth": changed(real=0.1),
        "echo.string_nonascii": changed(text=NON_ASCII, names={NON_ASCII, "é"}, counts={NON_ASCII: 1}),
        "echo.string_escapes": changed(text=TRICKY_TEXT, names={TRICKY_TEXT}, byPoint={Point(x=0, y=0): TRICKY_TEXT}),
        "echo.string_empty": changed(text=""),
        "echo.containers_empty": changed(ints=[], names=set(), byPoint={}, counts={}, nested=[], weights={}, bools=[],
                                         inner=Inner(name="", where=Point(x=0, y=0), groups={})),
        "echo.containers_full": changed(ints=list(range(-50, 50)), names={f"n{i}" for i in range(40)},
                                        counts={f"k{i}": i * (2**40) for i in range(40)}),
        "echo.struct_keys": changed(byPoint={Point(x=x, y=y): f"{x},{y}" for x in (-(2**31), 0, 2**31 - 1)
                                             for y in (-1, 1)}),
        "echo.nested": changed(inner=Inner(name="deep", where=Point(x=-1, y=-2),
                                           groups={"a": [Point(x=i, y=-i) for i in range(5)], "b": []},
                                           tint=Color.NEGATIVE),
                               nested=[[str(i) * i for i in range(4)] for _ in range(3)]),
        "echo.union_point": changed(shape=Shape(point=Point(x=-7, y=2**31 - 1))),
        "echo.union_label": changed(shape=Shape(label="ü 😀")),
        "echo.union_radius": changed(shape=Shape(radius=1e-300)),
        "echo.union_path": changed(shape=Shape(path=[Point(x=1, y=1), Point(x=2, y=2)])),
        "echo.optional_unset": changed(note=None, maybe=None, far=None,
                                       inner=Inner(name="x", where=Point(x=0, y=0), groups={}, tint=None)),
        "echo.optional_zero": changed(note="", maybe=0, far=0),
        "echo.field_id_1000": changed(far=32767),
    }
    for value, name in sorted(Color._VALUES_TO_NAMES.items()):
        cases[f"echo.enum_{name}"] = changed(color=value)
    if "nonfinite" not in skip:
        cases.update({
            "echo.double_nan": changed(real=NAN), "echo.double_inf": changed(real=INF),
            "echo.double_neginf": changed(real=-INF),
            "echo.double_nonfinite_in_containers": changed(weights={1: NAN, 2: INF, 3: -INF}, shape=Shape(radius=NAN)),
        })
    return cases


def difference(sent, got, path="value"):
    """None when equal, else "sent PATH=X got Y" for the first leaf that differs."""
    if isinstance(sent, float) and isinstance(got, float):
        same = ((math.isnan(sent) and math.isnan(got)) or
                (sent == got and math.copysign(1, sent) == math.copysign(1, got)))
        return None if same else f"sent {path}={sent!r} got {got!r}"
    if hasattr(sent, "thrift_spec") and type(sent) is type(got):
        for field in sent.thrift_spec or ():
            if field is not None:
                found = difference(getattr(sent, field[2]), getattr(got, field[2]), f"{path}.{field[2]}")
                if found:
                    return found
        return None
    if isinstance(sent, dict) and isinstance(got, dict) and sent.keys() == got.keys():
        for key in sent:
            found = difference(sent[key], got[key], f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(sent, list) and isinstance(got, list) and len(sent) == len(got):
        for i, (a, b) in enumerate(zip(sent, got)):
            found = difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if type(sent) is type(got) and sent == got:
        return None
    return f"sent {path}={sent!r} got {got!r}"


def fail(args, error):
    print(f"wire_client: cannot call 127.0.0.1:{args.port} ({args.transport}/{args.protocol}): "
          f"{type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(2)


class Session:
    """One client, reconnected after a transport failure."""

    def __init__(self, args, headers):
        self.args = args
        self.headers = headers
        self.transport = None
        self.connect()

    def connect(self):
        if self.transport is not None:
            try:
                self.transport.close()
            except Exception:  # noqa: BLE001 — it failed already
                pass
        a = self.args
        self.transport, self.protocol = wireforms.open_client(
            a.port, a.transport, a.protocol, a.timeout_ms, path=a.path, headers=self.headers, zlib=a.zlib,
            json_doubles=a.json_doubles)
        self.client = WireTest.Client(self.protocol)

    def reply_headers(self):
        return wireforms.text_headers(self.protocol.get_headers()) if self.args.transport == "header" else {}

    def check(self, call, expect):
        """Runs call(client); expect(result) says None (ok) or what is wrong."""
        try:
            problem = expect(call(self.client))
            return problem or "ok"
        except TApplicationException as e:
            return f"application error {e.type}: {e.message}"
        except WireFailed as e:
            return f"unexpected WireFailed: {e.reason}"
        except Exception as e:  # noqa: BLE001 — a transport failure is a finding; go on afresh
            try:
                self.connect()
            except Exception as again:  # noqa: BLE001
                fail(self.args, again)
            return f"error: {type(e).__name__}: {e}"


def run(args, headers):
    try:
        session = Session(args, headers)
        server_name = session.client.getName()  # the first call: the one that finds a dead port
    except Exception as e:  # noqa: BLE001
        fail(args, e)
    checks = {}
    for name, value in echo_cases(args.skip).items():
        checks[name] = session.check(lambda c: c.echo(value), lambda got: difference(value, got))
    if "binary" not in args.skip:
        for name, data in (("echoBinary.all_bytes", bytes(range(256))), ("echoBinary.empty", b"")):
            checks[name] = session.check(lambda c: c.echoBinary(data), lambda got: difference(data, got, "data"))

    def declared(client):
        try:
            client.echo(changed(text="fail"))
            return "no exception"
        except WireFailed as e:
            return None if e.code == -42 else f"sent text='fail' got WireFailed code {e.code}"

    checks["echo.declared_exception"] = session.check(declared, lambda problem: problem)
    checks["ping.oneway"] = session.check(lambda c: c.ping("oneway 😀"), lambda got: None)
    checks["after_oneway.getStatus"] = session.check(
        lambda c: c.getStatus(), lambda got: None if got == fb_status.ALIVE else f"expected ALIVE got {got!r}")
    reply_headers = session.reply_headers()
    seen = {}

    def last(client):
        seen.update(client.lastRequestHeaders())
        return None

    checks["lastRequestHeaders"] = session.check(last, lambda problem: problem)
    for key, value in ((k.decode(), v.decode()) for k, v in headers.items()):
        got = seen.get(key)
        checks[f"headers.seen.{key}"] = "ok" if got == value else f"sent {key}={value!r} got {got!r}"
        echoed = reply_headers.get("x-echo-" + key)
        checks[f"headers.echoed.{key}"] = ("ok" if echoed == value
                                           else f"sent {key}={value!r} got x-echo-{key}={echoed!r}")
    session.transport.close()
    return {"ok": all(v == "ok" for v in checks.values()), "server_name": server_name, "checks": checks,
            "reply_headers": reply_headers, "request_headers_seen_by_server": seen}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--transport", choices=wireforms.TRANSPORTS, default="framed")
    parser.add_argument("--protocol", choices=wireforms.PROTOCOLS, default="binary")
    parser.add_argument("--json-doubles", choices=wireforms.JSON_DOUBLES, default="quoted",
                        help='json: write NaN/Infinity as "NaN"/"Infinity" (Java, C++) or Python\'s bare nan/inf')
    parser.add_argument("--zlib", action="store_true", help="header: the zlib transform on every request")
    parser.add_argument("--header", action="append", default=[], metavar="K=V",
                        help="header: an info header (repeatable)")
    parser.add_argument("--path", default="/", help="http: the request path")
    parser.add_argument("--timeout-ms", type=int, default=10000)
    parser.add_argument("--skip", action="append", default=[], choices=["binary", "nonfinite"],
                        help="binary: no echoBinary (JSON base64); nonfinite: no NaN/Infinity (repeatable)")
    args = parser.parse_args()
    error = wireforms.form_error(args.transport, args.protocol)
    if error:
        parser.error(error)
    if (args.zlib or args.header) and args.transport != "header":
        parser.error("--zlib and --header need --transport header")
    headers = {}
    for item in args.header:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--header {item!r}: expected K=V")
        headers[key.encode()] = value.encode()
    print(json.dumps(run(args, headers)), flush=True)


if __name__ == "__main__":
    main()
