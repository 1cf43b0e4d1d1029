#!/usr/bin/python3
"""Calls through a thrifttop listener with Apache Thrift's generated Python clients, and prints
what happened as one JSON object per line. The proxy tests use it; it is also a way to try a
listener by hand.

    /usr/bin/python3 demo/python/proxy_client.py --port 9090 basic
    /usr/bin/python3 demo/python/proxy_client.py --port 9090 --protocol compact --transport unframed basic
    /usr/bin/python3 demo/python/proxy_client.py --port 9090 load --connections 8 --seconds 5
    /usr/bin/python3 demo/python/proxy_client.py --port 9090 multiplexed

basic: work echoes, the declared WorkFailed, a TApplicationException, oneway note, getName.
load: CONNECTIONS threads, each on its own persistent connection, calling work (COST_MICROS)
until --seconds or --calls (per connection) or until a line "stop" on stdin; prints per-second
progress lines ({"progress": n}) and a summary with the outcome of every failure by message.
multiplexed: Billing:charge and DemoService:work over TMultiplexedProtocol.

With --tls-ca it connects over TLS (Apache Thrift's TSSLSocket), checking the listener's
certificate against that CA and --tls-server-name (default localhost); --tls-cert and --tls-key
present a client certificate.

--transport framed | unframed | header (THeader) | http, --protocol binary | compact | json
(not json over header), made by wireforms.py; --zlib and --header K=V (THeader info headers, sent
with every message) for header, --path for http. TLS is for the socket transports only.
"""

import argparse
import json
import os
import select
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import thriftgen  # noqa: E402

thriftgen.ensure()

from thrift.Thrift import TApplicationException  # noqa: E402
from thrift.protocol import TMultiplexedProtocol  # noqa: E402
from thrift.transport import TSSLSocket  # noqa: E402

import wireforms  # noqa: E402

from demo import Billing, DemoService  # noqa: E402
from demo.ttypes import WorkFailed  # noqa: E402


def connect(args):
    socket = None
    if args.tls_ca:
        extra = {"certfile": args.tls_cert, "keyfile": args.tls_key} if args.tls_cert else {}
        socket = TSSLSocket.TSSLSocket("127.0.0.1", args.port, ca_certs=args.tls_ca, cert_reqs=ssl.CERT_REQUIRED,
                                       server_hostname=args.tls_server_name, **extra)
    # --non-strict: the old binary form (no version word), as very old clients write it.
    return wireforms.open_client(args.port, args.transport, args.protocol, args.timeout_ms, path=args.path,
                                 headers=args.info_headers, zlib=args.zlib, socket=socket,
                                 json_doubles=args.json_doubles, strict=not args.non_strict)


def outcome(call):
    try:
        value = call()
        return {"ok": value.decode("utf-8", "replace") if isinstance(value, bytes) else value}
    except WorkFailed as e:
        return {"declared": e.reason, "code": e.code}
    except TApplicationException as e:
        return {"application": e.type, "message": e.message}
    except Exception as e:  # noqa: BLE001 — a transport failure is an outcome too
        return {"transport": f"{type(e).__name__}: {e}"}


def basic(args):
    transport, protocol = connect(args)
    client = DemoService.Client(protocol)
    result = {
        "echo": outcome(lambda: client.work(100, b"hello")),
        "declared": outcome(lambda: client.work(-5, b"")),
        "application": outcome(lambda: client.work(0, b"raise-internal")),
        "oneway": outcome(lambda: client.note("hi") or "sent"),
        "after_oneway": outcome(lambda: client.getName()),
        "name": outcome(lambda: client.getName()),
    }
    transport.close()
    print(json.dumps(result), flush=True)


def oneway_then_call(args):
    """A oneway note on one connection, then at once a call on another: how long the call took."""
    first, first_protocol = connect(args)
    second, second_protocol = connect(args)
    DemoService.Client(first_protocol).note("slow")
    client = DemoService.Client(second_protocol)
    started = time.time()
    result = outcome(lambda: client.work(0, b"after-oneway"))
    result["ms"] = (time.time() - started) * 1000
    first.close()
    second.close()
    print(json.dumps(result), flush=True)


def multiplexed(args):
    transport, protocol = connect(args)
    billing = Billing.Client(TMultiplexedProtocol.TMultiplexedProtocol(protocol, "Billing"))
    demo = DemoService.Client(TMultiplexedProtocol.TMultiplexedProtocol(protocol, "DemoService"))
    result = {
        "charges": [outcome(lambda: billing.charge(i)) for i in range(args.calls)],
        "work": outcome(lambda: demo.work(0, b"mux")),
    }
    transport.close()
    print(json.dumps(result), flush=True)


def methods(args):
    """--calls rounds of three methods: work (a declared WorkFailed every other call), getName,
    and Billing:charge through TMultiplexedProtocol; what the client saw, per method and outcome."""
    transport, protocol = connect(args)
    demo = DemoService.Client(protocol)
    billing = Billing.Client(TMultiplexedProtocol.TMultiplexedProtocol(protocol, "Billing"))
    seen = {}

    def count(method, result):
        kind = next(iter(result))
        per = seen.setdefault(method, {})
        per[kind] = per.get(kind, 0) + 1

    for i in range(args.calls):
        count("work", outcome(lambda: demo.work(-1 if i % 2 else args.cost_micros, b"m")))
        count("getName", outcome(lambda: demo.getName()))
        count("Billing:charge", outcome(lambda: billing.charge(i)))
    transport.close()
    print(json.dumps(seen), flush=True)


def load(args):
    lock = threading.Lock()
    stats = {"ok": 0, "failed": 0, "errors": {}}
    stop = threading.Event()
    method = args.method

    def worker(index):
        try:
            transport, protocol = connect(args)
        except Exception as e:  # noqa: BLE001
            with lock:
                stats["failed"] += 1
                stats["errors"][f"connect: {e}"] = stats["errors"].get(f"connect: {e}", 0) + 1
            return
        client = DemoService.Client(protocol)
        done = 0
        while not stop.is_set() and (args.calls == 0 or done < args.calls):
            if method == "getName":
                result = outcome(lambda: client.getName())
            else:
                result = outcome(lambda: client.work(args.cost_micros, b"load"))
            done += 1
            with lock:
                if "ok" in result or "declared" in result:
                    stats["ok"] += 1
                else:
                    stats["failed"] += 1
                    key = result.get("message") or result.get("transport") or json.dumps(result)
                    stats["errors"][key] = stats["errors"].get(key, 0) + 1
            if "transport" in result:
                try:
                    transport.close()
                    transport, protocol = connect(args)
                    client = DemoService.Client(protocol)
                except Exception:  # noqa: BLE001
                    time.sleep(0.05)
        transport.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.connections)]
    for t in threads:
        t.start()
    deadline = time.time() + args.seconds
    stdin_open = True
    next_progress = time.time() + 1
    while any(t.is_alive() for t in threads) and time.time() < deadline:
        if stdin_open:
            readable, _, _ = select.select([sys.stdin], [], [], 0.2)
            if readable:
                line = sys.stdin.readline()
                stdin_open = line != ""  # at EOF (/dev/null) select would say readable forever
                if line.strip() == "stop":
                    break
        else:
            time.sleep(0.2)
        if time.time() >= next_progress:
            next_progress += 1
            with lock:
                print(json.dumps({"progress": stats["ok"] + stats["failed"]}), flush=True)
    stop.set()
    for t in threads:
        t.join(args.timeout_ms / 1000 + 1)
    print(json.dumps({"summary": stats}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protocol", choices=wireforms.PROTOCOLS, default="binary")
    parser.add_argument("--transport", choices=wireforms.TRANSPORTS, default="framed")
    parser.add_argument("--json-doubles", choices=wireforms.JSON_DOUBLES, default="quoted")
    parser.add_argument("--zlib", action="store_true", help="header: the zlib transform on every message")
    parser.add_argument("--header", action="append", default=[], metavar="K=V",
                        help="header: an info header (repeatable)")
    parser.add_argument("--path", default="/", help="http: the request path")
    parser.add_argument("--non-strict", action="store_true", help="binary without the version word (old clients)")
    parser.add_argument("--timeout-ms", type=int, default=10000)
    parser.add_argument("mode", choices=["basic", "load", "multiplexed", "oneway-then-call", "methods"])
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--calls", type=int, default=0, help="load: calls per connection (0: until --seconds); multiplexed: charges")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--cost-micros", type=int, default=500)
    parser.add_argument("--method", choices=["work", "getName"], default="work")
    parser.add_argument("--tls-ca", help="connect over TLS, trusting this CA")
    parser.add_argument("--tls-server-name", default="localhost")
    parser.add_argument("--tls-cert", help="a client certificate (with --tls-key)")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    error = wireforms.form_error(args.transport, args.protocol)
    if error:
        parser.error(error)
    if (args.zlib or args.header) and args.transport != "header":
        parser.error("--zlib and --header need --transport header")
    if args.non_strict and args.transport == "header":
        parser.error("--non-strict: THeader's binary is always strict")
    if args.tls_ca and args.transport == "http":
        parser.error("TLS is for the socket transports only, not http")
    args.info_headers = {}
    for item in args.header:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--header {item!r}: expected K=V")
        args.info_headers[key.encode()] = value.encode()
    {"basic": basic, "load": load, "multiplexed": multiplexed, "oneway-then-call": oneway_then_call, "methods": methods}[args.mode](args)


if __name__ == "__main__":
    main()
