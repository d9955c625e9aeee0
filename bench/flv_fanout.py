#!/usr/bin/python3
"""First-figure fan-out measurement: server CPU per GB delivered to N HTTP-FLV players.

Starts liveorigin on free ports, publishes a 2.5 Mbit/s 720p H.264+AAC file in real time with
ffmpeg, attaches N HTTP-FLV players that only count bytes (one selector loop, large reads), and
reads the server's utime+stime from /proc over a fixed window.

  bench/flv_fanout.py --bin build/liveorigin --players 100 --seconds 30

The full benchmark suite (RTMP, HLS, latency, nginx-rtmp side by side) lives in bench/ as it grows.
"""
import argparse
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime, all threads


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def make_media(path, seconds):
    if os.path.exists(path):
        return
    tmp = path + ".tmp.flv"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2400k", "-minrate", "2400k", "-maxrate", "2400k",
         "-bufsize", "2400k", "-x264-params", "nal-hrd=cbr", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
         "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-f", "flv", tmp], check=True, timeout=600)
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/liveorigin")
    ap.add_argument("--players", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--media", default=os.path.join(tempfile.gettempdir(), "liveorigin-bench-720p.flv"))
    args = ap.parse_args()

    make_media(args.media, 60)
    work = tempfile.mkdtemp(prefix="liveorigin-bench-")
    rtmp, http = free_port(), free_port()
    config = os.path.join(work, "bench.yaml")
    with open(config, "w") as f:
        f.write(f'server:\n  rtmp: {{ listen: "127.0.0.1:{rtmp}" }}\n  http: {{ listen: "127.0.0.1:{http}" }}\n'
                f'  api: {{ listen: "127.0.0.1:{free_port()}" }}\n  data_dir: {work}/data\n'
                f'  workers: {args.workers}\nlog: {{ level: warn }}\n')
    server = subprocess.Popen([args.bin, "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    publisher = None
    try:
        time.sleep(0.5)
        publisher = subprocess.Popen(
            ["ffmpeg", "-v", "error", "-re", "-stream_loop", "-1", "-i", args.media, "-c", "copy", "-f", "flv",
             f"rtmp://127.0.0.1:{rtmp}/live/bench"], stdin=subprocess.DEVNULL)
        time.sleep(3)
        sel = selectors.DefaultSelector()
        request = f"GET /live/bench.flv HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        counts = {}
        for _ in range(args.players):
            s = socket.create_connection(("127.0.0.1", http), timeout=5)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.sendall(request)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            counts[s] = 0
        time.sleep(2)  # let every player get past the GOP burst
        for s in counts:
            counts[s] = 0
        cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
        while time.monotonic() - t0 < args.seconds:
            for key, _ in sel.select(timeout=0.5):
                data = key.fileobj.recv(1 << 20)
                counts[key.fileobj] += len(data)
        elapsed = time.monotonic() - t0
        cpu = cpu_seconds(server.pid) - cpu0
        total = sum(counts.values())
        per_player_kbps = [8 * c / elapsed / 1000 for c in counts.values()]
        stream_kbps = max(per_player_kbps)
        result = {
            "players": args.players, "seconds": round(elapsed, 1), "workers": args.workers,
            "server_cpu_s": round(cpu, 2), "server_cpu_pct": round(100 * cpu / elapsed, 1),
            "gb_delivered": round(total / 1e9, 3), "cpu_s_per_gb": round(cpu / (total / 1e9), 3) if total else None,
            "stream_kbps": round(stream_kbps), "healthy_players": sum(k >= 0.95 * stream_kbps for k in per_player_kbps),
            "server_rss_kib": rss_kib(server.pid),
        }
        print(json.dumps(result))
        print(f"{args.players} FLV players: server {result['server_cpu_pct']}% of a core, "
              f"{result['cpu_s_per_gb']} CPU-s/GB, {result['healthy_players']}/{args.players} healthy, "
              f"RSS {result['server_rss_kib'] // 1024} MiB", file=sys.stderr)
    finally:
        if publisher:
            publisher.kill()
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
