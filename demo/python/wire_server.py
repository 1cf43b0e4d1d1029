#!/usr/bin/python3
"""Serves WireTest (demo/wiretest.thrift: every Thrift type, plus fb303) with Apache Thrift's
own Python library in any wire form, so thrifttop's translation between forms can be checked
against a peer it did not write.

    /usr/bin/python3 demo/python/wire_server.py --port 0 --transport header
    /usr/bin/python3 demo/python/wire_server.py --port 0 --transport http --protocol json --http-keepalive

--transport framed | unframed | header | http, --protocol binary | compact | json.

header (THeader): the server answers each request in the protocol that request came in (Python
reads the protocol id from every frame), so --protocol only names the default before the first
frame; json is refused (Python's THeader knows binary and compact only). A request with the zlib
transform is answered with zlib (Python alone would not: see wireforms.py). The info headers of
the last request that carried any are what lastRequestHeaders returns, and its reply carries "x-served-by: NAME" and, for
each request header K, "x-echo-K" with K's value. --header-allow-legacy also serves plain framed
and unframed binary/compact clients on the same port, answered in their own form.

http: Python's THttpServer on a ThreadingHTTPServer (one thread per connection). It ignores the
request path: --path is accepted and has no effect, every path is served. It needs the
request's Content-Length (a chunked request fails). It answers HTTP/1.0 and closes after each
reply; --http-keepalive answers HTTP/1.1 and keeps the connection. A oneway is answered
"200" before it runs, with no Content-Length and no body: over HTTP/1.0 the close ends it, but
over HTTP/1.1 keep-alive a strict client reads a body "until close" and the server never closes
(Python's THttpClient does not care: it never reads a oneway's body and opens a new connection
for every call). --http-oneway-content-length adds "Content-Length: 0" to that early reply.

Prints "LISTENING <port>" once it accepts connections. Listens on 127.0.0.1 only and stops by
itself after --max-seconds (default 600; 0 = never). Every call is counted in getCounters as
py.calls.METHOD.
"""

import argparse
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import thriftgen  # noqa: E402

thriftgen.ensure("wiretest.thrift")

import wireforms  # noqa: E402
from fb303.ttypes import fb_status  # noqa: E402
from wiretest import WireTest  # noqa: E402
from wiretest.ttypes import WireFailed  # noqa: E402


class Handler(wireforms.CountedFB303, WireTest.Iface):
    def __init__(self, name):
        super().__init__(name, "python-thrift-wiretest 1.0", fb_status.ALIVE, "wire test server")
        self.current = threading.local()  # .headers: the info headers of this thread's request
        self.last_headers = {}

    def on_header_request(self, protocol, name, ttype, seqid):
        """Called by the THeader protocol as each request begins, before its handler."""
        headers = protocol.get_headers()
        self.current.headers = wireforms.text_headers(headers)
        protocol.set_header(b"x-served-by", self.name.encode())
        for key, value in headers.items():
            protocol.set_header(b"x-echo-" + key, value)

    def _count(self, method):
        super()._count(method)
        headers = getattr(self.current, "headers", {})
        # The last request that carried info headers: a proxy's heartbeats (getStatus, without
        # any) may come between a client's call and its lastRequestHeaders.
        if method != "lastRequestHeaders" and headers:
            with self.lock:
                self.last_headers = headers

    def echo(self, value):
        self._count("echo")
        if value.text == "fail":
            raise WireFailed(reason="echo refused: text is \"fail\"", code=-42)
        return value

    def echoBinary(self, data):
        self._count("echoBinary")
        return data

    def ping(self, text):
        self._count("ping")

    def lastRequestHeaders(self):
        self._count("lastRequestHeaders")
        with self.lock:
            return dict(self.last_headers)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=9090, help="0: the OS picks one (see LISTENING)")
    parser.add_argument("--transport", choices=wireforms.TRANSPORTS, default="framed")
    parser.add_argument("--protocol", choices=wireforms.PROTOCOLS, default="binary")
    parser.add_argument("--json-doubles", choices=wireforms.JSON_DOUBLES, default="quoted",
                        help='json: NaN/Infinity as "NaN"/"Infinity" (Java, C++) or Python\'s bare nan/inf')
    parser.add_argument("--name", default="python-wiretest")
    parser.add_argument("--path", default="/", help="http: accepted and ignored (THttpServer serves every path)")
    parser.add_argument("--http-keepalive", action="store_true", help="http: answer HTTP/1.1, keep connections")
    parser.add_argument("--http-oneway-content-length", action="store_true",
                        help="http: the early 200 of a oneway says Content-Length: 0 (the library's has none)")
    parser.add_argument("--header-allow-legacy", action="store_true",
                        help="header: also serve framed/unframed binary/compact clients")
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()
    error = wireforms.form_error(args.transport, args.protocol)
    if error:
        parser.error(error)

    handler = Handler(args.name)
    processor = WireTest.Processor(handler)
    if args.transport == "http":
        server, port = wireforms.http_server(processor, args.port, args.protocol, args.json_doubles,
                                             args.http_keepalive, args.http_oneway_content_length)
    else:
        socket = wireforms.OnceServerSocket(host="127.0.0.1", port=args.port)
        socket.listen()
        port = socket.handle.getsockname()[1]
        server = wireforms.socket_server(processor, socket, args.transport, args.protocol, args.json_doubles,
                                         args.header_allow_legacy, handler.on_header_request)
    wireforms.serve(server, port, args.max_seconds)


if __name__ == "__main__":
    main()
