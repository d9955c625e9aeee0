"""Smoke run of the benchmark tools (bench/, docs/performance.md) so they never rot: the load
generator against liveorigin over RTMP, HTTP-FLV and HLS, over RTMPS and HTTPS-FLV, its TLS
handshake mode, many publishers with their HLS playlists watched, and against the ideal writer. A few players for a few seconds; no timing
assertions, only that every player played and the report is complete."""
import json
import os
import subprocess
import time

import pytest

from harness import HOST, Proc, free_port, port_open
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


def test_bench_many_publishers(liveorigin_bin, servers):
    """Three publishers (streams bench0..bench2), two RTMP players each, every stream's HLS playlist
    watched for the segment each key frame closes."""
    tools = bench_dir(liveorigin_bin)
    srv = servers.start({"log": {"level": "info"}})
    report = run_bench(tools, ["--file", media_path("av.flv"), "--rtmp", f"127.0.0.1:{srv.rtmp_port}",
                               "--http", f"127.0.0.1:{srv.http_port}", "--protocol", "rtmp",
                               "--server-pid", str(srv.proc.pid), "--label", "smoke", "--publishers", "3",
                               "--hls-watch", *common_args(players=6, full=3), "--settle", "2.5",
                               "--duration", "4.5"])
    pubs = report["publishers"]
    assert pubs["count"] == 3 and pubs["live"] == 3, pubs
    assert pubs["ingested_gb"] > 0 and pubs["max_backlog_kib"]["n"] == 3
    assert report["failed"] == 0, report["errors"]  # players go round-robin: every stream played
    assert report["latency_ms"]["n"] > 0, "no latency stamps through the server"
    assert report["hls_listed_ms"]["n"] > 0, (report["hls_listed_ms"], report["hls_watch_errors"])
    assert report["hls_watch_requests"] > 0 and not report["hls_watch_errors"]
    assert report["server"]["rss_per_stream_kib"] > 0 and report["server"]["cpu_s_per_ingested_gb"] > 0


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    """(cert, key): a self-signed ECDSA P-256 certificate for localhost, as bench/compare.sh makes."""
    d = tmp_path_factory.mktemp("bench-tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "2", "-keyout", key, "-out", cert, "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True, timeout=60)
    return cert, key


def tls_server(servers, self_signed):
    cert, key = self_signed
    rtmps, https = free_port(), free_port()
    srv = servers.start({"log": {"level": "info"},
                         "server": {"tls": {"cert": cert, "key": key}, "rtmps": {"listen": f"{HOST}:{rtmps}"},
                                    "https": {"listen": f"{HOST}:{https}"}}})
    return srv, ["--rtmp", f"127.0.0.1:{srv.rtmp_port}", "--tls", "--rtmps", f"127.0.0.1:{rtmps}",
                 "--https", f"127.0.0.1:{https}", "--sni", "localhost"]


@pytest.mark.parametrize("protocol", ["rtmp", "flv"])
def test_bench_tls_players(liveorigin_bin, servers, self_signed, protocol):
    """RTMPS / HTTPS-FLV players (the publisher plain RTMP); the server's CPU summed over a pid list."""
    tools = bench_dir(liveorigin_bin)
    srv, endpoints = tls_server(servers, self_signed)
    other = subprocess.Popen(["sleep", "60"])  # a second "server process" for --server-pid's list
    try:
        report = run_bench(tools, ["--file", media_path("av.flv"), *endpoints, "--protocol", protocol,
                                   "--server-pid", f"{srv.proc.pid},{other.pid}", "--label", "smoke-tls",
                                   *common_args()])
    finally:
        other.kill()
        other.wait(timeout=10)
    assert report["protocol"] == protocol and report["tls"] is True
    assert report["failed"] == 0, report["errors"]
    assert report["tls_version_cipher"].startswith("TLSv1."), report["tls_version_cipher"]
    assert report["delivered_gb"] > 0 and report["healthy"] > 0
    assert report["startup_ms"]["n"] == 2 and report["startup_ramp_ms"]["n"] == 2
    assert report["latency_ms"]["n"] > 0, "no latency stamps found in the TLS players' media"
    assert report["server"]["pids"] == [srv.proc.pid, other.pid]
    assert report["server"]["rss_kib"] > 0
    # The media really went out over TLS: the server says once how it writes TLS records.
    assert "tls: writes go through" in srv.log_text(), srv.log_tail()


def test_bench_tls_handshakes(liveorigin_bin, servers, self_signed):
    tools = bench_dir(liveorigin_bin)
    srv, endpoints = tls_server(servers, self_signed)
    report = run_bench(tools, ["--file", media_path("av.flv"), "--no-publish", *endpoints, "--protocol", "flv",
                               "--handshakes", "--players", "4", "--warmup", "0.5", "--duration", "2",
                               "--server-pid", str(srv.proc.pid), "--label", "smoke-handshakes"])
    assert report["mode"] == "handshakes" and report["concurrency"] == 4
    assert report["handshakes"] > 0 and report["failed"] == 0, report["errors"]
    assert report["handshake_ms"]["n"] == report["handshakes"]
    assert report["server"]["cpu_s"] >= 0


def test_bench_refuses_tls_without_its_port(liveorigin_bin):
    tools = bench_dir(liveorigin_bin)
    res = subprocess.run([os.path.join(tools, "liveorigin-bench"), "--file", media_path("av.flv"), "--tls",
                          "--protocol", "rtmp"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2 and "--rtmps" in res.stderr


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
