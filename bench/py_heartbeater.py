#!/usr/bin/python3
"""The baseline for `make bench`: a heartbeater written the way users write one by hand, with
Apache Thrift's Python library — one thread per server, each calling fb303 getStatus every
interval over TFramedTransport + TBinaryProtocol. Prints CPU seconds and heartbeats as JSON."""

import argparse
import json
import os
import resource
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demo", "python"))
import thriftgen  # noqa: E402

thriftgen.ensure()

from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import TSocket, TTransport  # noqa: E402

from fb303 import FacebookService  # noqa: E402
from fb303.ttypes import fb_status  # noqa: E402

count_lock = threading.Lock()
counts = {"ok": 0, "failed": 0}
stop = threading.Event()


def heartbeat(port, interval, offset):
    sock = TSocket.TSocket("127.0.0.1", port)
    sock.setTimeout(int(interval * 1000))
    transport = TTransport.TFramedTransport(sock)
    client = FacebookService.Client(TBinaryProtocol.TBinaryProtocol(transport))
    transport.open()
    next_due = time.monotonic() + offset
    while not stop.is_set():
        delay = next_due - time.monotonic()
        if delay > 0 and stop.wait(delay):
            break
        next_due += interval
        try:
            ok = client.getStatus() == fb_status.ALIVE
        except Exception:
            ok = False
        with count_lock:
            counts["ok" if ok else "failed"] += 1
    transport.close()


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", required=True)
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    threading.stack_size(256 * 1024)
    threads = [
        threading.Thread(target=heartbeat, args=(ports[i % len(ports)], args.interval, args.interval * i / args.nodes), daemon=True)
        for i in range(args.nodes)
    ]
    for t in threads:
        t.start()
    time.sleep(args.warmup)
    with count_lock:
        counts["ok"] = counts["failed"] = 0
    cpu0, wall0 = cpu_seconds(), time.monotonic()
    time.sleep(args.seconds)
    cpu, wall = cpu_seconds() - cpu0, time.monotonic() - wall0
    with count_lock:
        ok, failed = counts["ok"], counts["failed"]
    stop.set()
    print(json.dumps({"nodes": args.nodes, "wall_s": wall, "cpu_s": cpu, "heartbeats": ok + failed, "failed": failed}))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
