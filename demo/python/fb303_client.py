#!/usr/bin/python3
"""Calls every fb303 method and DemoService.work on a server with Apache Thrift's generated
Python client, and prints the results as one JSON object. The interop tests use it against our
demo server; it is also a quick way to poke any fb303 server by hand.

    /usr/bin/python3 demo/python/fb303_client.py --port 9101 --protocol binary --transport framed
    /usr/bin/python3 demo/python/fb303_client.py --port 9101 --protocol json --transport http --path /thrift

--transport framed | unframed | header (THeader) | http, --protocol binary | compact | json
(not json over header), made by wireforms.py.
"""

import argparse
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import thriftgen  # noqa: E402

thriftgen.ensure()

from thrift.Thrift import TApplicationException  # noqa: E402

import wireforms  # noqa: E402
from demo import DemoService  # noqa: E402
from demo.ttypes import WorkFailed  # noqa: E402
from fb303.ttypes import fb_status  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protocol", choices=wireforms.PROTOCOLS, default="binary")
    parser.add_argument("--transport", choices=wireforms.TRANSPORTS, default="framed")
    parser.add_argument("--json-doubles", choices=wireforms.JSON_DOUBLES, default="quoted")
    parser.add_argument("--path", default="/", help="http: the request path")
    parser.add_argument("--timeout-ms", type=int, default=5000)
    args = parser.parse_args()
    error = wireforms.form_error(args.transport, args.protocol)
    if error:
        parser.error(error)

    transport, protocol = wireforms.open_client(args.port, args.transport, args.protocol, args.timeout_ms,
                                                host=args.host, path=args.path, json_doubles=args.json_doubles)
    client = DemoService.Client(protocol)
    out = {
        "getName": client.getName(),
        "getVersion": client.getVersion(),
        "getStatus": fb_status._VALUES_TO_NAMES.get(client.getStatus(), "?"),
        "getStatusDetails": client.getStatusDetails(),
        "getCounters": client.getCounters(),
        "getCounter": client.getCounter("demo.calls"),
        "aliveSince": client.aliveSince(),
    }
    payload = bytes(range(256)) * 4
    echoed = client.work(10, payload)
    out["work"] = {"ok": echoed == payload, "length": len(echoed), "sample": base64.b64encode(echoed[:8]).decode()}
    try:
        client.work(-7, b"")
        out["workFailed"] = None
    except WorkFailed as e:
        out["workFailed"] = {"reason": e.reason, "code": e.code}
    # The connection stays usable after a declared exception.
    out["afterException"] = fb_status._VALUES_TO_NAMES.get(client.getStatus(), "?")
    transport.close()
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    try:
        main()
    except TApplicationException as e:
        print(json.dumps({"error": "TApplicationException", "type": e.type, "message": e.message}))
        sys.exit(3)
