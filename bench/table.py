#!/usr/bin/python3
"""Prints the side-by-side table (Markdown) of a results.jsonl written by bench/compare.sh.

  bench/table.py /tmp/liveorigin-bench/results.jsonl

Each line is one liveorigin-bench JSON result (plus load1, the 1-min load average before the step).
When a configuration was measured more than once at the same N, the last result counts.
"""
import json
import sys


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                j = json.loads(line)
                rows[(j["label"], j["players"])] = j
    return rows


def fmt(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def main():
    rows = load(sys.argv[1] if len(sys.argv) > 1 else "/tmp/liveorigin-bench/results.jsonl")
    labels = []
    for label, _ in rows:
        if label not in labels:
            labels.append(label)
    print("| server | proto | N | healthy | server CPU | CPU s/GB | start-up p50/p95 ms | "
          "latency p50/p95/p99 ms | RSS MiB (KiB/player) | gen CPU | others | load1 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label in labels:
        for (l, n), j in sorted(rows.items(), key=lambda kv: kv[0][1]):
            if l != label:
                continue
            if "error" in j:
                print(f"| {label} | {j.get('protocol','')} | {n} | {j['error']} | | | | | | | | {j.get('load1','')} |")
                continue
            s = j.get("server", {})
            st, lat = j["startup_ms"], j["latency_ms"]
            lat_s = f"{lat['p50']:.1f} / {lat['p95']:.1f} / {lat['p99']:.1f}" if lat["n"] else "–"
            print(f"| {label} | {j['protocol']} | {n} | {j['healthy_pct']:.1f}% | {s.get('cpu_pct', 0):.1f}% | "
                  f"{s.get('cpu_s_per_gb', 0):.3f} | {st['p50']:.0f} / {st['p95']:.0f} | {lat_s} | "
                  f"{s.get('rss_kib', 0) / 1024:.0f} ({s.get('rss_per_player_kib', 0):.0f}) | "
                  f"{j['generator_cpu_pct']:.0f}% | {j.get('others_cpu_pct', 0):.0f}% | {j.get('load1', '')} |")

    def cap(label):
        ok = [n for (l, n), j in rows.items() if l == label and j.get("healthy_pct", 0) >= 95]
        return max(ok) if ok else None

    def per_gb(label, n):
        j = rows.get((label, n))
        return j.get("server", {}).get("cpu_s_per_gb") if j and "error" not in j else None

    print()
    print("Healthy players on one core (largest N with ≥ 95% healthy): " +
          ", ".join(f"{l} {cap(l)}" for l in labels))
    lo, ng = cap("liveorigin-rtmp"), cap("nginx-rtmp")
    if lo and ng:
        print(f"liveorigin-rtmp / nginx-rtmp healthy players: {lo / ng:.2f}×")
    # liveorigin batches for 20 ms by default: ideal-b20 is the writer "at the same batching".
    pairs = [("liveorigin-rtmp", "nginx-rtmp"), ("liveorigin-rtmp", "ideal-b20"), ("liveorigin-flv", "ideal-b20"),
             ("liveorigin-rtmp", "ideal"), ("liveorigin-flv", "ideal")]
    pairs = [(a, b) for a, b in pairs if a in labels and b in labels]
    if pairs:
        print()
        print("| N | " + " | ".join(f"{a} / {b} (CPU s/GB)" for a, b in pairs) + " |")
        print("|---:|" + "---:|" * len(pairs))
        ns = sorted({n for (_, n) in rows})
        for n in ns:
            cells = []
            for a, b in pairs:
                x, y = per_gb(a, n), per_gb(b, n)
                cells.append(f"{x / y:.2f}×" if x and y else "–")
            print(f"| {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
