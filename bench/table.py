#!/usr/bin/python3
"""Prints the side-by-side table (Markdown) of a results.jsonl written by bench/compare.sh.

  bench/table.py /tmp/liveorigin-bench/results.jsonl
  bench/table.py --healthy RESULTS LABEL N   # exit 0 when LABEL was healthy at N (the sweep goes on)

Each line is one liveorigin-bench JSON result (plus load1, the 1-min load average before the step).
A configuration measured more than once at the same N (REPEAT in compare.sh) is shown by its median
run by CPU s/GB, with the range of all its runs: on a shared machine one run can be off by 20%.
"""
import json
import statistics
import sys


def per_gb_of(j):
    return j.get("server", {}).get("cpu_s_per_gb", 0) if "error" not in j else None


def load_runs(path):
    runs = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                j = json.loads(line)
                runs.setdefault((j["label"], j["players"]), []).append(j)
    return runs


def median_run(js):
    ok = sorted((j for j in js if "error" not in j), key=per_gb_of)
    return ok[(len(ok) - 1) // 2] if ok else js[-1]


def load(path):
    runs = load_runs(path)
    return {key: median_run(js) for key, js in runs.items()}, runs


def healthy(path, label, n):
    js = load_runs(path).get((label, n), [])
    return bool(js) and statistics.median(j.get("healthy_pct", 0) for j in js) >= 95


def proto(j):
    """rtmp, flv, hls; over TLS rtmps and https-flv."""
    p = j.get("protocol", "")
    return {"rtmp": "rtmps", "flv": "https-flv"}.get(p, p) if j.get("tls") else p


def fmt(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--healthy":
        sys.exit(0 if healthy(sys.argv[2], sys.argv[3], int(sys.argv[4])) else 1)
    rows, runs = load(sys.argv[1] if len(sys.argv) > 1 else "/tmp/liveorigin-bench/results.jsonl")
    repeated = any(len(js) > 1 for js in runs.values())
    labels = []
    for label, _ in rows:
        if label not in labels:
            labels.append(label)
    print("| server | proto | N | healthy | server CPU | CPU s/GB | " + ("runs: s/GB range | " if repeated else "") +
          "start-up p50/p95 ms | latency p50/p95/p99 ms | RSS MiB (KiB/player) | gen CPU | others | load1 |")
    print("|---|---|---:|---:|---:|---:|" + ("---:|" if repeated else "") + "---:|---:|---:|---:|---:|---:|")
    for label in labels:
        for (l, n), j in sorted(rows.items(), key=lambda kv: kv[0][1]):
            if l != label:
                continue
            if "error" in j:
                print(f"| {label} | {proto(j)} | {n} | {j['error']} | | | | | | | | {j.get('load1','')} |")
                continue
            s = j.get("server", {})
            st, lat = j["startup_ms"], j["latency_ms"]
            lat_s = f"{lat['p50']:.1f} / {lat['p95']:.1f} / {lat['p99']:.1f}" if lat["n"] else "–"
            spread = ""
            if repeated:
                gbs = [per_gb_of(r) for r in runs[(l, n)] if per_gb_of(r) is not None]
                spread = f"{len(gbs)}: {min(gbs):.3f}–{max(gbs):.3f} | "
            print(f"| {label} | {proto(j)} | {n} | {j['healthy_pct']:.1f}% | {s.get('cpu_pct', 0):.1f}% | "
                  f"{s.get('cpu_s_per_gb', 0):.3f} | {spread}{st['p50']:.0f} / {st['p95']:.0f} | {lat_s} | "
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
             ("liveorigin-rtmp", "ideal"), ("liveorigin-flv", "ideal"),
             ("liveorigin-rtmps", "nginx-rtmps"), ("liveorigin-https", "nginx-rtmps"),
             ("liveorigin-rtmps", "liveorigin-rtmp"), ("nginx-rtmps", "nginx-rtmp")]
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
