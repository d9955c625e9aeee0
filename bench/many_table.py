#!/usr/bin/python3
"""Prints the many-channels table (Markdown) of a many.jsonl written by `MANY=… bench/compare.sh`.

  bench/many_table.py /tmp/liveorigin-bench/many.jsonl

Each line is one liveorigin-bench JSON result with --publishers P (players = P × K). A configuration
measured more than once (REPEAT) is shown by its median run by CPU s per ingested GB, with the range.
Memory per stream is the server's RSS growth from before the first publisher to the end of the
window, divided by P, plus (nginx) the HLS files on tmpfs divided by P.
"""
import json
import sys


def cpu_per_gb(j):
    return j.get("server", {}).get("cpu_s_per_ingested_gb", 0) if "error" not in j else None


def fmt(x, digits=1):
    return "–" if x is None else f"{x:.{digits}f}"


def main():
    runs = {}
    with open(sys.argv[1] if len(sys.argv) > 1 else "/tmp/liveorigin-bench/many.jsonl") as f:
        for line in f:
            if line.strip():
                j = json.loads(line)
                p = j.get("publishers", {}).get("count", 1)
                runs.setdefault((j["label"], p, j["players"] // max(p, 1)), []).append(j)
    print("| server | P | K | healthy publishers | ingest Mbit/s | server CPU | CPU s / ingested GB | runs | "
          "healthy players | RSS MiB | memory / stream KiB | HLS listed p50 / p99 / max ms (n, not listed) | "
          "latency p50 / p99 ms | gen CPU | others |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    medians = {}
    for (label, p, k), js in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
        ok = sorted((j for j in js if "error" not in j), key=cpu_per_gb)
        if not ok:
            print(f"| {label} | {p} | {k} | {js[-1].get('error')} |" + " |" * 12)
            continue
        j = ok[(len(ok) - 1) // 2]
        medians[(label, p, k)] = j
        pubs, server = j["publishers"], j.get("server", {})
        per_gb = [cpu_per_gb(x) for x in ok]
        spread = f"{min(per_gb):.3f}–{max(per_gb):.3f}" if len(ok) > 1 else "one run"
        stream_kib = server.get("rss_per_stream_kib", 0) + j.get("hls_tmpfs_kib", 0) / p
        listed = j.get("hls_listed_ms")
        hls = (f"{fmt(listed['p50'])} / {fmt(listed['p99'])} / {fmt(listed['max'])} ({listed['n']}, "
               f"{j['hls_not_listed']})") if listed else "–"
        lat = j.get("latency_ms", {})
        latency = f"{fmt(lat['p50'])} / {fmt(lat['p99'])}" if lat.get("n") else "–"
        players = f"{j['healthy_pct']:.1f}%" if j["players"] else "–"
        print(f"| {label} | {p} | {k} | {pubs['healthy']} ({pubs['healthy_pct']:.1f}%) | {pubs['ingest_mbps']:.0f} | "
              f"{server.get('cpu_pct', 0):.1f}% | {cpu_per_gb(j):.3f} | {spread} | {players} | "
              f"{server.get('rss_kib', 0) / 1024:.0f} | {stream_kib:.0f} | {hls} | {latency} | "
              f"{j['generator_cpu_pct']:.0f}% | {j['others_cpu_pct']:.0f}% |")
    ratios = []
    for (label, p, k), j in medians.items():
        if not label.startswith("liveorigin-hls"):
            continue
        other = medians.get(("nginx-rtmp-hls", p, k))
        if other and cpu_per_gb(other):
            ratios.append(f"| {p} | {k} | {cpu_per_gb(j) / cpu_per_gb(other):.2f} |")
    if ratios:
        print("\n| P | K | CPU per ingested GB, liveorigin-hls / nginx-rtmp-hls |\n|---:|---:|---:|")
        print("\n".join(sorted(ratios, key=lambda r: [int(x) for x in r.split("|")[1:3]])))


if __name__ == "__main__":
    main()
