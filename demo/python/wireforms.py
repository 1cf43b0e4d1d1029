"""The wire forms our Python peers speak, made in one place for every client and server script:
transport framed | unframed | header (THeader) | http, protocol binary | compact | json.

What Apache Thrift's Python library (0.17) does, and what we add on top of it:

- THeader knows only binary (protocol id 0) and compact (2) inside; json over header is refused
  here, as THeaderProtocol itself refuses protocol id 1 ("Unknown protocol requested").
- A THeader server answers each frame in the protocol id that frame came with, whatever its own
  default is, and echoes the request's flags. It does not answer with the request's transforms
  (it keeps its own list, empty by default): HeaderServerTransport adds that, so a zlib request
  gets a zlib reply. Info headers set on a transport are sent with the next frame only, then
  forgotten: ClientHeaderProtocol sends its headers with every message.
- TJSONProtocol writes NaN and infinities as bare nan / inf / -inf, which is not JSON and which
  its own reader refuses ("Bad data encounted in numeric data"); Java and C++ write the quoted
  strings "NaN", "Infinity", "-Infinity", which Python reads. json_doubles="quoted" (our
  default) writes those; json_doubles="python" keeps the library's own output.
- THttpServer keeps the oneway "already replied" flag and the processor's message-begin
  callback server-wide, so with a threading HTTP server concurrent requests can answer on each
  other's connections; ThreadedTHttpServer keeps both per thread. It ignores the request path.
- THttpClient opens a new TCP connection for every call (flush closes and reopens) and takes
  http_proxy from the environment: http_client goes straight to 127.0.0.1.
"""

import math
import os
import threading
import time

from thrift.protocol import TBinaryProtocol, TCompactProtocol, TJSONProtocol
from thrift.protocol.THeaderProtocol import THeaderProtocol, THeaderProtocolFactory
from thrift.server import THttpServer, TServer
from thrift.Thrift import TMessageType
from thrift.transport import THttpClient, TSocket, TTransport
from thrift.transport.THeaderTransport import (
    THeaderClientType,
    THeaderSubprotocolID,
    THeaderTransformID,
    THeaderTransport,
)

TRANSPORTS = ("framed", "unframed", "header", "http")
PROTOCOLS = ("binary", "compact", "json")
JSON_DOUBLES = ("quoted", "python")
HEADER_PROTOCOL_IDS = {"binary": THeaderSubprotocolID.BINARY, "compact": THeaderSubprotocolID.COMPACT}


class CountedFB303:
    """The fb303 methods both reference servers answer (fb303_server.py, wire_server.py), each
    call counted: getCounters has py.calls.METHOD and py.threads."""

    def __init__(self, name, version, status, details):
        self.name = name
        self.version = version
        self.status = status
        self.details = details
        self.started = int(time.time())
        self.lock = threading.Lock()
        self.calls = {}

    def _count(self, method):
        with self.lock:
            self.calls[method] = self.calls.get(method, 0) + 1

    def getName(self):
        self._count("getName")
        return self.name

    def getVersion(self):
        self._count("getVersion")
        return self.version

    def getStatus(self):
        self._count("getStatus")
        return self.status

    def getStatusDetails(self):
        self._count("getStatusDetails")
        return self.details

    def getCounters(self):
        self._count("getCounters")
        with self.lock:
            counters = {"py.calls." + k: v for k, v in self.calls.items()}
        counters["py.threads"] = threading.active_count()
        return counters

    def getCounter(self, key):
        self._count("getCounter")
        return self.getCounters().get(key, 0)

    def aliveSince(self):
        self._count("aliveSince")
        return self.started


def serve(server, port, max_seconds):
    """Says LISTENING PORT (what the tests wait for) and serves, stopping by itself after
    max_seconds (0: never)."""
    if max_seconds > 0:
        threading.Timer(max_seconds, lambda: os._exit(0)).start()
    print(f"LISTENING {port}", flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass


def form_error(transport, protocol):
    """Why Python cannot speak this transport × protocol, or None."""
    if transport == "header" and protocol not in HEADER_PROTOCOL_IDS:
        return "THeader carries binary or compact only (Python's THeaderProtocol has no protocol id 1, json)"
    return None


# MARK: protocols


class TJSONProtocolQuotedDoubles(TJSONProtocol.TJSONProtocol):
    """TJSONProtocol writing NaN, Infinity and -Infinity as quoted strings, as Java and C++ do."""

    def writeDouble(self, dbl):
        if math.isnan(dbl):
            self.writeJSONString("NaN")
        elif math.isinf(dbl):
            self.writeJSONString("Infinity" if dbl > 0 else "-Infinity")
        else:
            super().writeDouble(dbl)


class TJSONProtocolQuotedDoublesFactory(TJSONProtocol.TJSONProtocolFactory):
    def getProtocol(self, trans):
        return TJSONProtocolQuotedDoubles(trans)


def protocol_factory(protocol, json_doubles="quoted", strict=None):
    """strict (binary): None keeps the library's default (reads either form, writes the version
    word); True or False reads and writes only the strict or the old form."""
    if protocol == "compact":
        return TCompactProtocol.TCompactProtocolFactory()
    if protocol == "json":
        return TJSONProtocolQuotedDoublesFactory() if json_doubles == "quoted" else TJSONProtocol.TJSONProtocolFactory()
    if strict is None:
        return TBinaryProtocol.TBinaryProtocolFactory()
    return TBinaryProtocol.TBinaryProtocolFactory(strictRead=strict, strictWrite=strict)


# MARK: THeader


def _varint(data, at):
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


class HeaderServerTransport(THeaderTransport):
    """THeaderTransport that answers a frame with the transforms the frame came with."""

    def _parse_header_format(self, buffer):
        # magic 2, flags 2, seqid 4, header words 2, then varints: protocol id, count, ids.
        data = buffer.getvalue()
        _, at = _varint(data, 10)
        count, at = _varint(data, at)
        transforms = []
        for _ in range(count):
            transform, at = _varint(data, at)
            transforms.append(transform)
        self.request_transforms = transforms
        self._write_transforms = list(transforms)
        return super()._parse_header_format(buffer)


class HeaderServerProtocol(THeaderProtocol):
    """THeaderProtocol calling on_request(protocol, name, type, seqid) after each message
    begins, with the request's info headers in protocol.get_headers(); headers it sets go with
    this request's reply. A oneway has no reply: what it set is dropped at the next request."""

    def __init__(self, trans, allowed_client_types, default_protocol, on_request):
        super().__init__(HeaderServerTransport(trans, allowed_client_types, default_protocol), allowed_client_types)
        self.on_request = on_request

    def readMessageBegin(self):
        name, ttype, seqid = super().readMessageBegin()
        self.clear_headers()
        if self.on_request is not None:
            self.on_request(self, name, ttype, seqid)
        return name, ttype, seqid


class HeaderServerProtocolFactory(THeaderProtocolFactory):
    def __init__(self, protocol="binary", allow_legacy=False, on_request=None):
        allowed = (THeaderClientType.HEADERS,)
        if allow_legacy:
            allowed += (THeaderClientType.FRAMED_BINARY, THeaderClientType.UNFRAMED_BINARY,
                        THeaderClientType.FRAMED_COMPACT, THeaderClientType.UNFRAMED_COMPACT)
        super().__init__(allowed, HEADER_PROTOCOL_IDS[protocol])
        self.on_request = on_request

    def getProtocol(self, trans):
        return HeaderServerProtocol(trans, self.allowed_client_types, self.default_protocol, self.on_request)


class ClientHeaderProtocol(THeaderProtocol):
    """THeaderProtocol sending the same info headers (bytes → bytes) with every message."""

    def __init__(self, trans, protocol, headers=None, zlib=False):
        super().__init__(trans, (THeaderClientType.HEADERS,), HEADER_PROTOCOL_IDS[protocol])
        self.every_message_headers = dict(headers or {})
        if zlib:
            self.add_transform(THeaderTransformID.ZLIB)

    def writeMessageBegin(self, name, ttype, seqid):
        for key, value in self.every_message_headers.items():
            self.set_header(key, value)
        return super().writeMessageBegin(name, ttype, seqid)


def text_headers(headers):
    """THeader info headers (bytes) as str → str, for JSON."""
    return {k.decode("utf-8", "backslashreplace"): v.decode("utf-8", "backslashreplace") for k, v in headers.items()}


# MARK: clients


def http_client(port, path="/", host="127.0.0.1"):
    client = THttpClient.THttpClient(f"http://{host}:{port}{path}")
    if client.using_proxy():  # http_proxy in the environment: ignore it, we test the listener
        client.host, client.port = client.realhost, client.realport
        client.realhost = client.realport = client.proxy_auth = None
    return client


def open_client(port, transport="framed", protocol="binary", timeout_ms=10000, host="127.0.0.1", path="/",
                headers=None, zlib=False, socket=None, json_doubles="quoted", strict=None):
    """(transport, protocol), opened. socket: a TSocket to use instead of a plain one (TLS).
    For http, opening connects nothing: the first call does."""
    error = form_error(transport, protocol)
    if error:
        raise ValueError(error)
    if transport == "http":
        if socket is not None:
            raise ValueError("http over TLS is not supported by these scripts")
        trans = http_client(port, path, host)
        trans.setTimeout(timeout_ms)
    else:
        if socket is None:
            socket = TSocket.TSocket(host, port)
        socket.setTimeout(timeout_ms)
        if transport == "framed":
            trans = TTransport.TFramedTransport(socket)
        elif transport == "unframed":
            trans = TTransport.TBufferedTransport(socket)
        else:
            trans = socket  # THeaderTransport frames and buffers by itself
    if transport == "header":
        prot = ClientHeaderProtocol(trans, protocol, headers, zlib)
        trans = prot.trans
    else:
        prot = protocol_factory(protocol, json_doubles, strict).getProtocol(trans)
    trans.open()
    return trans, prot


# MARK: servers


class ThreadLocalCallbackProcessor:
    """Wraps a processor so that on_message_begin callbacks are per thread (THttpServer installs
    its callback on the shared processor for each request). With oneway_content_length, a
    oneway's early 200 says Content-Length: 0, so an HTTP/1.1 keep-alive client knows the
    (empty) body has ended."""

    def __init__(self, processor, server, oneway_content_length=False):
        self.processor = processor
        self.server = server
        self.local = threading.local()
        self.oneway_content_length = oneway_content_length
        processor.on_message_begin(self._message_begins)

    def on_message_begin(self, func):
        self.local.callback = func

    def _message_begins(self, name, ttype, seqid):
        callback = getattr(self.local, "callback", None)
        if callback is None:
            return
        if ttype == TMessageType.ONEWAY and self.oneway_content_length:
            handler = callback.__self__  # THttpServer's request handler
            handler.send_response(200)
            handler.send_header("Content-Type", "application/x-thrift")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            self.server._replied = True
        else:
            callback(name, ttype, seqid)

    def process(self, iprot, oprot):
        return self.processor.process(iprot, oprot)


class ThreadedTHttpServer(THttpServer.THttpServer):
    """THttpServer whose "oneway already replied" flag is per thread, not server-wide."""

    def __init__(self, *args, **kwargs):
        self._local = threading.local()
        super().__init__(*args, **kwargs)

    @property
    def _replied(self):
        return getattr(self._local, "replied", None)

    @_replied.setter
    def _replied(self, value):
        self._local.replied = value


def http_server(processor, port, protocol, json_doubles="quoted", keepalive=False, oneway_content_length=False):
    """(server, port). A threading HTTP server on 127.0.0.1; keepalive answers HTTP/1.1 and keeps
    the connection, as Python's BaseHTTPRequestHandler does with protocol_version HTTP/1.1."""
    import http.server

    server = ThreadedTHttpServer(None, ("127.0.0.1", port), protocol_factory(protocol, json_doubles),
                                 server_class=http.server.ThreadingHTTPServer)
    server.processor = ThreadLocalCallbackProcessor(processor, server, oneway_content_length)
    handler_class = server.httpd.RequestHandlerClass
    handler_class.log_message = lambda *a: None  # one line per request on stderr otherwise
    if keepalive:
        handler_class.protocol_version = "HTTP/1.1"
    return server, server.httpd.server_address[1]


def socket_server(processor, server_socket, transport, protocol, json_doubles="quoted", header_allow_legacy=False,
                  on_header_request=None):
    """A TThreadedServer (a thread per connection) on server_socket, already listening."""
    if transport == "header":
        transport_factory = TTransport.TBufferedTransportFactory()
        factory = HeaderServerProtocolFactory(protocol, header_allow_legacy, on_header_request)
    else:
        transport_factory = (TTransport.TFramedTransportFactory() if transport == "framed"
                             else TTransport.TBufferedTransportFactory())
        factory = protocol_factory(protocol, json_doubles)
    return TServer.TThreadedServer(processor, server_socket, transport_factory, factory, daemon=True)


class OnceServerSocket(TSocket.TServerSocket):
    """Binds in listen() once, so the port chosen by the OS is known before serve() starts."""

    def listen(self):
        if self.handle is None:
            super().listen()
