#!/usr/bin/python3
"""A reference fb303 + DemoService server written with Apache Thrift's own Python library, so
thrifttop can be tried against a server it did not write.

    /usr/bin/python3 demo/python/fb303_server.py --port 9090
    /usr/bin/python3 demo/python/fb303_server.py --port 0 --protocol compact --transport framed

With --tls-cert and --tls-key it serves over TLS (Apache Thrift's TSSLServerSocket), requiring
client certificates signed by --tls-client-ca when given; --tls-max-version 1.2 holds it to TLS 1.2.

--transport header (THeader, binary or compact inside, each request answered in its own
protocol and with its own zlib transform) and --transport http (THttpServer on a threading HTTP
server; --http-keepalive for HTTP/1.1) and --protocol json are made as in wire_server.py, whose
docstring and wireforms.py say what Python does in each; TLS is for the socket transports only.

Prints "LISTENING <port>" once it accepts connections. Listens on 127.0.0.1 only and stops by
itself after --max-seconds (default 600; 0 = never).

work(costMicros, payload) answers the payload; costMicros < 0 raises the declared WorkFailed;
payload b"raise-internal" raises TApplicationException(INTERNAL_ERROR); b"raise-other" raises a
plain Python error, which the library turns into INTERNAL_ERROR "Internal error". The oneway
note(text) is only counted (and takes --note-seconds). --work-delay-ms makes every work call
that much slower. Every call is counted in getCounters as py.calls.METHOD.

With --multiplexed, a TMultiplexedProcessor serves "DemoService" and "Billing"
(charge(cents) answers "NAME charged CENTS"); plain, unprefixed calls (heartbeats) go to
DemoService.
"""

import argparse
import logging
import os
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import thriftgen  # noqa: E402

thriftgen.ensure()

from thrift.Thrift import TApplicationException  # noqa: E402
from thrift.transport import TSSLSocket  # noqa: E402

import wireforms  # noqa: E402

from demo import Billing, DemoService  # noqa: E402
from thrift.TMultiplexedProcessor import TMultiplexedProcessor  # noqa: E402
from demo.ttypes import WorkFailed  # noqa: E402
from fb303.ttypes import fb_status  # noqa: E402


class Handler(wireforms.CountedFB303, DemoService.Iface):
    def __init__(self, name, status, details):
        super().__init__(name, "python-thrift-reference 1.0", status, details)
        self.status_error = None
        self.work_delay = 0.0
        self.note_seconds = 0.0

    def getStatus(self):
        if self.status_error is not None:
            self._count("getStatus")
            raise TApplicationException(TApplicationException.INTERNAL_ERROR, self.status_error)
        return super().getStatus()

    def work(self, costMicros, payload):
        self._count("work")
        if costMicros < 0:
            raise WorkFailed(reason="costMicros must not be negative", code=costMicros)
        if payload == b"raise-internal":
            raise TApplicationException(TApplicationException.INTERNAL_ERROR, "reference server refused the work")
        if payload == b"raise-other":
            raise ValueError("a plain Python error")
        time.sleep(costMicros / 1e6 + self.work_delay)
        return payload

    def note(self, text):
        self._count("note")
        # A oneway's handler holds its connection's thread, as any handler does.
        time.sleep(self.note_seconds)


class BillingHandler(Billing.Iface):
    def __init__(self, demo):
        self.demo = demo

    def charge(self, cents):
        self.demo._count("Billing.charge")
        return f"{self.demo.name} charged {cents}"


class OnceSSLServerSocket(TSSLSocket.TSSLServerSocket):
    """OnceServerSocket over TLS."""

    def listen(self):
        if self.handle is None:
            super().listen()


def server_socket(args):
    if not args.tls_cert:
        return wireforms.OnceServerSocket(host="127.0.0.1", port=args.port)
    # TSSLServerSocket logs a traceback for every failed handshake, and the failures are what
    # the tests are about: one line each, so a stderr nobody reads never fills and blocks us.
    logging.basicConfig(level=logging.CRITICAL)
    logging.getLogger("thrift.transport.TSSLSocket").setLevel(logging.CRITICAL)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    if args.tls_client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(args.tls_client_ca)
    if args.tls_max_version == "1.2":
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    # A client is known by its CA here, not by the address it connects from.
    return OnceSSLServerSocket(host="127.0.0.1", port=args.port, ssl_context=context,
                               validate_callback=lambda cert, host: None)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=9090)
    parser.add_argument("--protocol", choices=wireforms.PROTOCOLS, default="binary")
    parser.add_argument("--transport", choices=wireforms.TRANSPORTS, default="framed")
    parser.add_argument("--json-doubles", choices=wireforms.JSON_DOUBLES, default="quoted",
                        help='json: NaN/Infinity as "NaN"/"Infinity" (Java, C++) or Python\'s bare nan/inf')
    parser.add_argument("--http-keepalive", action="store_true", help="http: answer HTTP/1.1, keep connections")
    parser.add_argument("--http-oneway-content-length", action="store_true",
                        help="http: the early 200 of a oneway says Content-Length: 0 (the library's has none)")
    parser.add_argument("--header-allow-legacy", action="store_true",
                        help="header: also serve framed/unframed binary/compact clients")
    parser.add_argument("--name", default="python-reference")
    parser.add_argument("--status", default="ALIVE", choices=sorted(fb_status._NAMES_TO_VALUES))
    parser.add_argument("--details", default="reference server, all good")
    parser.add_argument("--status-error", default=None,
                        help="getStatus raises TApplicationException INTERNAL_ERROR with this text (a hostile or broken server)")
    parser.add_argument("--work-delay-ms", type=float, default=0, help="every work call takes this much longer")
    parser.add_argument("--note-seconds", type=float, default=0, help="the oneway note's handler takes this long")
    parser.add_argument("--multiplexed", action="store_true",
                        help="serve DemoService and Billing through a TMultiplexedProcessor")
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--tls-cert", help="serve TLS with this PEM certificate (needs --tls-key)")
    parser.add_argument("--tls-key")
    parser.add_argument("--tls-client-ca", help="require client certificates signed by this CA")
    parser.add_argument("--tls-max-version", choices=["1.2", "1.3"], default="1.3")
    args = parser.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.tls_cert and args.transport == "http":
        parser.error("TLS is served for the socket transports only, not http")
    error = wireforms.form_error(args.transport, args.protocol)
    if error:
        parser.error(error)

    handler = Handler(args.name, fb_status._NAMES_TO_VALUES[args.status], args.details)
    handler.status_error = args.status_error
    handler.work_delay = args.work_delay_ms / 1000
    handler.note_seconds = args.note_seconds
    processor = DemoService.Processor(handler)
    if args.multiplexed:
        multiplexed = TMultiplexedProcessor()
        multiplexed.registerDefault(processor)
        multiplexed.registerProcessor("DemoService", processor)
        multiplexed.registerProcessor("Billing", Billing.Processor(BillingHandler(handler)))
        processor = multiplexed
    if args.transport == "http":
        server, port = wireforms.http_server(processor, args.port, args.protocol, args.json_doubles,
                                             args.http_keepalive, args.http_oneway_content_length)
    else:
        socket = server_socket(args)
        socket.listen()
        port = socket.handle.getsockname()[1]
        server = wireforms.socket_server(processor, socket, args.transport, args.protocol, args.json_doubles,
                                         args.header_allow_legacy)
    wireforms.serve(server, port, args.max_seconds)


if __name__ == "__main__":
    main()
