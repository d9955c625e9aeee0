"""Smoke run of the benchmark tools (bench/, docs/performance.md) so they never rot: the load
generator against liveorigin over RTMP, HTTP-FLV and HLS, and against the ideal writer. A few
players for a few seconds; no timing assertions, only that every player played and the report is
complete."""
import json
import os
import subprocess
import time

import pytest

from harness import Proc, free_port, port_open
from testmedia import media_path


def bench_dir(liveorigin_bin):
    build = os.path.dirname(os.path.abspath(liveorigin_bin))
    tools = os.path.join(build, "bench")
    if not os.access(os.path.join(tools, "liveorigin-bench"), os.X_OK):
        cache = os.path.join(build, "CMakeCache.txt")
        if os.path.exists(cache) and "LIVEORIGIN_BENCH:BOOL=OFF" in open(cache).read():
            pytest.skip("built with -DLIVEORIGIN_BENCH=OFF")
        pytest.fail(f"liveorigin-bench not built in {tools} (cmake --build {build} --target liveorigin-bench)")
    return tools


def run_bench(tools, args, timeout=90):
    res = subprocess.run([os.path.join(tools, "liveorigin-bench"), *args], capture_output=True, text=True,
                         timeout=timeout)
    assert res.returncode == 0, f"liveorigin-bench {' '.join(args)} exited {res.returncode}:\n{res.stderr}"
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert res.stderr.strip(), "expected the one-line summary on stderr"
    return report


def common_args(players=4, full=2):
    return ["--players", str(players), "--full", str(full), "--rate", "50", "--settle", "0.5", "--warmup", "0.5",
            "--duration", "2"]


@pytest.mark.parametrize("protocol", ["rtmp", "flv", "hls"])
def test_bench_against_liveorigin(liveorigin_bin, servers, protocol):
    tools = bench_dir(liveorigin_bin)
    srv = servers.start({"log": {"level": "info"}})
    args = ["--file", media_path("av.flv"), "--rtmp", f"127.0.0.1:{srv.rtmp_port}",
            "--http", f"127.0.0.1:{srv.http_port}", "--protocol", protocol, "--server-pid", str(srv.proc.pid),
            "--label", "smoke", *common_args()]
    if protocol == "hls":
        args += ["--settle", "2.5"]  # the first segment closes on the second key frame
    report = run_bench(tools, args)
    assert report["protocol"] == protocol and report["players"] == 4
    assert report["failed"] == 0, report["errors"]
    assert report["delivered_gb"] > 0
    assert report["startup_ms"]["n"] == 2 and report["startup_ramp_ms"]["n"] == 2
    if protocol != "hls":
        assert report["latency_ms"]["n"] > 0, "no latency stamps found in the players' media"
    assert report["server"]["cpu_s"] >= 0 and report["server"]["rss_kib"] > 0


def test_bench_against_ideal_writer(liveorigin_bin, tmp_path):
    tools = bench_dir(liveorigin_bin)
    port = free_port()
    writer = Proc([os.path.join(tools, "liveorigin-ideal-writer"), "--listen", f"127.0.0.1:{port}",
                   "--file", media_path("av.flv"), "--batch-ms", "20"], str(tmp_path / "ideal.log"))
    try:
        for _ in range(50):
            if port_open(port) or writer.poll() is not None:
                break
            time.sleep(0.1)
        assert writer.poll() is None, f"ideal writer exited:\n{writer.output()}"
        report = run_bench(tools, ["--file", media_path("av.flv"), "--no-publish", "--protocol", "flv",
                                   "--http", f"127.0.0.1:{port}", "--server-pid", str(writer.proc.pid),
                                   *common_args(players=3, full=1)])
        assert report["failed"] == 0, report["errors"]
        assert report["latency_ms"]["n"] > 0
    finally:
        writer.cleanup()
