#!/usr/bin/env python3
"""TLS against plain on one core: liveorigin (workers: 1) pinned to SERVER_CPU, an ffmpeg publisher
and N HTTP-FLV players (one Python process, non-blocking sockets) on GEN_CPU. Per mode it reports
the server's CPU seconds per GB sent, its memory per player, and with --handshakes the full TLS
handshakes one server core completes per CPU second (openssl s_time -new as the client).

  bench/tls_players.py --bin build/liveorigin --media FILE.flv --players 200 --seconds 10 [--handshakes]

A small tool beside bench/compare.sh (whose generator has no TLS client yet): the players here are
plain Python sockets, so the generator is slow and N stays in the hundreds.
"""
import argparse
import json
import os
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from flv_fanout import cpu_seconds, free_port, rss_kib  # bench/ is this script's directory

HOST = "127.0.0.1"


def make_certificate(d, kind):
    key, cert = os.path.join(d, f"{kind}.key"), os.path.join(d, f"{kind}.pem")
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ecdsa" else ["-newkey", "rsa:2048"]
    subprocess.run(["openssl", "req", "-x509", *newkey, "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=120)
    return cert, key


class Server:
    def __init__(self, binary, workdir, cpu, cert, key):
        self.rtmp, self.http, self.https, self.api = free_port(), free_port(), free_port(), free_port()
        config = os.path.join(workdir, "bench.yaml")
        with open(config, "w") as f:
            f.write(f"""server:
  rtmp: {{ listen: "{HOST}:{self.rtmp}" }}
  http: {{ listen: "{HOST}:{self.http}" }}
  https: {{ listen: "{HOST}:{self.https}" }}
  api: {{ listen: "{HOST}:{self.api}", token: "bench" }}
  tls: {{ cert: "{cert}", key: "{key}" }}
  data_dir: "{workdir}/data"
  workers: 1
apps:
  live: {{ hls: {{ enabled: false }} }}
limits: {{ max_connections: 100000, max_connections_per_ip: 100000 }}
log: {{ level: warn }}
""")
        self.log = open(os.path.join(workdir, "server.log"), "w")
        self.proc = subprocess.Popen(["taskset", "-c", str(cpu), binary, "-c", config], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, self.http), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("liveorigin did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def wait_live(server, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.create_connection((HOST, server.http), timeout=5) as s:
            s.sendall(f"GET /live/bench.flv HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
            if s.recv(64).startswith(b"HTTP/1.1 200"):
                return
        time.sleep(0.2)
    raise SystemExit("the bench stream did not go live")


def open_player(port, tls_context):
    raw = socket.create_connection((HOST, port), timeout=10)
    s = tls_context.wrap_socket(raw, server_hostname="localhost") if tls_context else raw
    s.sendall(f"GET /live/bench.flv HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
    s.setblocking(False)
    return s


def run_players(server, n, seconds, tls):
    context = None
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    port = server.https if tls else server.http
    rss_before = rss_kib(server.proc.pid)
    selector = selectors.DefaultSelector()
    players = []
    for _ in range(n):
        s = open_player(port, context)
        players.append(s)
        selector.register(s, selectors.EVENT_READ)
    buffer = bytearray(1 << 18)
    received = 0

    def read_for(duration):
        nonlocal received
        end = time.monotonic() + duration
        while time.monotonic() < end:
            for key, _ in selector.select(timeout=0.2):
                s = key.fileobj
                try:
                    while True:  # drain what TLS already holds, not only what wakes the socket
                        got = s.recv_into(buffer)
                        if got == 0:
                            selector.unregister(s)
                            break
                        received += got
                        if not tls:
                            break
                except (ssl.SSLWantReadError, BlockingIOError):
                    pass

    read_for(3)  # warm-up: GOP bursts drain
    cpu_start, bytes_start, wall_start = cpu_seconds(server.proc.pid), received, time.monotonic()
    read_for(seconds)
    cpu = cpu_seconds(server.proc.pid) - cpu_start
    window = received - bytes_start
    wall = time.monotonic() - wall_start
    rss = rss_kib(server.proc.pid)
    for s in players:
        s.close()
    return {"mode": "https-flv" if tls else "http-flv", "players": n, "cpu_pct": round(100 * cpu / wall, 1),
            "mbit_s": round(window * 8 / wall / 1e6, 1), "cpu_s_per_gb": round(cpu / (window / 1e9), 2) if window else None,
            "rss_per_player_kib": round((rss - rss_before) / n, 1)}


def handshake_rate(server, cpu, seconds):
    start = cpu_seconds(server.proc.pid)
    res = subprocess.run(["taskset", "-c", str(cpu), "openssl", "s_time", "-connect", f"{HOST}:{server.https}",
                          "-new", "-time", str(int(seconds))], capture_output=True, text=True, timeout=seconds + 60)
    used = cpu_seconds(server.proc.pid) - start
    count = None
    for line in res.stdout.splitlines():
        if "connections in" in line and "real seconds" in line:
            count = int(line.split()[0])
    if count is None:
        return {"error": res.stdout[-500:] + res.stderr[-500:]}
    return {"handshakes": count, "per_wall_s": round(count / seconds), "server_cpu_s": round(used, 2),
            "per_server_cpu_s": round(count / used) if used > 0 else None}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True)
    p.add_argument("--media", required=True)
    p.add_argument("--players", type=int, default=200)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--gen-cpu", type=int, default=1)
    p.add_argument("--handshakes", action="store_true")
    args = p.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as d:
        for kind in ("ecdsa", "rsa"):
            cert, key = make_certificate(d, kind)
            server = Server(args.bin, d, args.server_cpu, cert, key)
            try:
                if kind == "ecdsa":
                    publisher = subprocess.Popen(
                        ["taskset", "-c", str(args.gen_cpu), "ffmpeg", "-v", "error", "-re", "-stream_loop", "-1",
                         "-i", args.media, "-c", "copy", "-f", "flv", f"rtmp://{HOST}:{server.rtmp}/live/bench"],
                        stdin=subprocess.DEVNULL)
                    try:
                        wait_live(server)
                        for tls in (False, True):
                            results.append(run_players(server, args.players, args.seconds, tls))
                            print(json.dumps(results[-1]), flush=True)
                    finally:
                        publisher.terminate()
                        publisher.wait(timeout=10)
                if args.handshakes:
                    results.append({"handshake_cert": kind, **handshake_rate(server, args.gen_cpu, args.seconds)})
                    print(json.dumps(results[-1]), flush=True)
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
