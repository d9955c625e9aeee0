#!/usr/bin/python3
"""Callback figures (docs/architecture.md, callbacks section).

1. Throughput: N pending events are put in the outbox of a stopped server (as a restart finds
   them), then the server starts and delivers them to a local receiver that answers {"code":0} at
   once (asyncio, keep-alive off like the notifier). Events per second = N / (last - first arrival).
   Run once with every event on one stream (strictly serial: each waits for the previous) and once
   spread over many streams (parallel).
2. Publish latency: time from sending the RTMP `publish` command to NetStream.Publish.Start, over
   many publish/close cycles, with callbacks off, to a fast receiver, and to a backend that accepts
   connections and never answers.

  bench/callbacks_bench.py --bin build/liveorigin [--events 5000] [--publishes 300]
"""
import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from harness import HOST, Server  # noqa: E402
from rtmpraw import RtmpClient  # noqa: E402


class FastReceiver:
    """A minimal HTTP/1.1 responder on its own thread: reads one request, answers {"code":0}."""

    def __init__(self):
        self.count = 0
        self.first = self.last = None
        self.port = None
        self.ready = threading.Event()
        threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True).start()
        self.ready.wait(5)

    async def _handle(self, reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            body = b'{"code":0}'
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (len(body), body))
            await writer.drain()
            now = time.monotonic()
            self.count += 1
            self.first = self.first or now
            self.last = now
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _main(self):
        server = await asyncio.start_server(self._handle, HOST, 0, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        async with server:
            await server.serve_forever()


def prefill(db_path, url, n, streams):
    db = sqlite3.connect(db_path)
    now = int(time.time() * 1000)
    rows = []
    for i in range(n):
        stream = f"live/s{i % streams}"
        event_id = str(uuid.uuid4())
        payload = json.dumps({"event": "publish", "event_type": 1, "event_id": event_id, "stream_id": stream})
        rows.append((event_id, stream, url, payload, 4, now, now, now))
    db.executemany("INSERT INTO callbacks (event_id, stream_key, url, payload, state, attempts, max_attempts, "
                   "next_attempt_ms, created_ms, updated_ms) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)", rows)
    db.commit()
    db.close()


def throughput(binary, n, streams):
    rx = FastReceiver()
    with tempfile.TemporaryDirectory() as work:
        url = f"http://{HOST}:{rx.port}/hook"
        server = Server(binary, work, {"notify": {"url": url}, "log": {"level": "warn"}})
        server.start()  # creates the database
        server.stop()
        prefill(os.path.join(server.data_dir, "liveorigin.db"), url, n, streams)
        server.stopped = False
        server.start()
        deadline = time.monotonic() + 300
        while rx.count < n and time.monotonic() < deadline:
            time.sleep(0.05)
        server.stop()
    took = rx.last - rx.first
    return rx.count, took, (rx.count - 1) / took if took > 0 else float("inf")


def publish_latencies(server, count):
    out = []
    for i in range(count):
        c = RtmpClient(HOST, server.rtmp_port)
        c.connect("live", f"rtmp://{HOST}:{server.rtmp_port}/live")
        sid = int(c.create_stream()[3])
        start = time.perf_counter()
        info = c.status_after("publish", f"lat{i % 50}", "live", stream_id=sid)
        out.append((time.perf_counter() - start) * 1000)
        assert info["code"] == "NetStream.Publish.Start", info
        c.close()
        time.sleep(0.002)
    return out


def latency(binary, count, notify):
    with tempfile.TemporaryDirectory() as work:
        server = Server(binary, work, {**({"notify": notify} if notify else {}), "log": {"level": "warn"}})
        server.start()
        try:
            publish_latencies(server, 20)  # warm-up
            ms = publish_latencies(server, count)
        finally:
            server.stop()
    ms.sort()
    return statistics.median(ms), ms[int(len(ms) * 0.99) - 1], ms[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--streams", type=int, default=100)
    ap.add_argument("--publishes", type=int, default=300)
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)

    for streams in (1, args.streams):
        got, took, rate = throughput(binary, args.events, streams)
        print(f"throughput: {got} events over {streams} stream(s) in {took:.2f}s = {rate:.0f} events/s")

    rx = FastReceiver()
    hole = socket.socket()
    hole.bind((HOST, 0))
    hole.listen(1024)
    cases = [("callbacks off", None),
             ("fast receiver", {"url": f"http://{HOST}:{rx.port}/hook"}),
             ("backend never answers", {"url": f"http://{HOST}:{hole.getsockname()[1]}/hook", "timeout": 30})]
    for name, notify in cases:
        median, p99, worst = latency(binary, args.publishes, notify)
        print(f"publish latency, {name}: median {median:.2f} ms, p99 {p99:.2f} ms, max {worst:.2f} ms")


if __name__ == "__main__":
    main()
