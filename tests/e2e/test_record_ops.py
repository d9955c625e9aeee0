"""Recording operations (PRODUCT.md section 13): retention by age and by total size per app, and
HLS recordings (a VOD playlist and its segments, crash safe, served from /vod/)."""
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from apiclient import valid
from harness import HOST, deep_merge, wait_live
from test_recording import push, recordings, vod_dir, wait_rows


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout}s (last: {last})")


def record_two_files(servers, clients, stream, extra=None):
    """A server recording FLV; two publishes of 3 s give two landed files and rows."""
    cfg = deep_merge({"apps": {"live": {"record": {"enabled": True, "format": "flv"}}}}, extra or {})
    server = servers.start(cfg)
    for n in (1, 2):
        pub = push(clients, server, stream, 3)
        assert pub.wait(30) == 0
        wait_rows(server, stream, n, timeout=20)
        time.sleep(1.1)  # the next file's name (its start second) differs
    return server


def restart_with(servers, server, config):
    """The same data_dir under a new config (the old server is stopped first)."""
    assert server.stop() == 0
    restarted = servers.start(deep_merge(config, {"server": {"data_dir": server.data_dir}}))
    restarted.data_dir = server.data_dir
    return restarted


def test_retention_deletes_files_older_than_the_apps_days_and_logs_why(servers, clients):
    server = record_two_files(servers, clients, "old")
    rows = recordings(server, "old")
    oldest = min(rows, key=lambda r: r["start_time"])
    newest = max(rows, key=lambda r: r["start_time"])
    assert server.stop() == 0
    # Backdate the older recording by 40 days (its row and its file's times).
    with sqlite3.connect(os.path.join(server.data_dir, "liveorigin.db")) as db:
        db.execute("UPDATE recordings SET start_time = start_time - 40*86400, end_time = end_time - 40*86400 "
                   "WHERE file_path = ?", (oldest["file_path"],))
    past = time.time() - 40 * 86400
    os.utime(oldest["file_path"], (past, past))
    restarted = restart_with(servers, server, {"apps": {"live": {"record": {
        "enabled": True, "format": "flv", "retention": 30}}}})
    wait_until(lambda: not os.path.exists(oldest["file_path"]), 15, "the 40-day-old recording deleted")
    assert os.path.exists(newest["file_path"])
    left = wait_until(lambda: (lambda r: r if len(r) == 1 else None)(recordings(restarted, "old")), 10,
                      "its row deleted")
    assert left[0]["file_path"] == newest["file_path"]
    log = restarted.log_text()
    assert "record retention: deleted live/old" in log and "more than 30 days ago (record.retention)" in log, log[-3000:]


def test_size_cap_keeps_the_newest_recordings(servers, clients):
    server = record_two_files(servers, clients, "cap")
    rows = recordings(server, "cap")
    newest = max(rows, key=lambda r: r["start_time"])
    oldest = min(rows, key=lambda r: r["start_time"])
    # A cap that holds the newest file but not both; written with a size suffix.
    cap_k = (newest["file_size"] + oldest["file_size"] // 2) // 1024 + 1
    assert cap_k * 1024 < newest["file_size"] + oldest["file_size"]
    restarted = restart_with(servers, server, {"apps": {"live": {"record": {
        "enabled": True, "format": "flv", "max_total_size": f"{cap_k}K"}}}})
    wait_until(lambda: not os.path.exists(oldest["file_path"]) and len(recordings(restarted, "cap")) == 1, 15,
               "the oldest recording deleted")
    assert os.path.exists(newest["file_path"])
    assert [r["file_path"] for r in recordings(restarted, "cap")] == [newest["file_path"]]
    assert "exceed record.max_total_size" in restarted.log_text()
    # A new recording lands: the cap is applied right away, the older one goes.
    pub = push(clients, restarted, "cap", 3)
    assert pub.wait(30) == 0
    wait_until(lambda: not os.path.exists(newest["file_path"]) and len(recordings(restarted, "cap")) == 1, 15,
               "the previous newest deleted by the cap")
    [row] = recordings(restarted, "cap")
    assert os.path.exists(row["file_path"]) and row["file_path"] != newest["file_path"]


def probe_duration(url):
    res = subprocess.run(["ffprobe", "-v", "error", "-rw_timeout", "10000000", "-show_entries", "format=duration",
                          "-of", "json", url], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    return float(json.loads(res.stdout)["format"]["duration"])


def hls_config(extra=None):
    return deep_merge({"apps": {"live": {"record": {"enabled": True, "format": "hls"}, "hls": {"fragment": 2}}}},
                      extra or {})


def test_hls_recording_is_a_vod_playlist_served_from_vod(servers, clients):
    server = servers.start(hls_config())
    pub = push(clients, server, "rec", 8)
    assert pub.wait(30) == 0
    [row] = wait_rows(server, "rec", 1, timeout=20)
    assert row["file_format"] == "hls" and row["file_name"].endswith(".hls/index.m3u8"), row
    assert row["vod_path"] == f"/vod/live/rec/{row['file_name']}"
    assert abs(row["duration"] - 8) < 1.5, row
    folder = os.path.dirname(row["file_path"])
    assert os.path.dirname(folder) == os.path.realpath(vod_dir(server, "rec"))
    with open(row["file_path"]) as f:
        text = f.read()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.endswith("#EXT-X-ENDLIST\n"), text
    size = sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder))
    assert row["file_size"] == size
    url = f"http://{HOST}:{server.http_port}{row['vod_path']}"
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    d = probe_duration(url)
    assert abs(d - 8) < 1.5, d
    # Nothing outside the recording's folder, nor a folder still being written.
    for bad in ("/vod/live/rec/" + row["file_name"].split("/")[0] + "/../x.ts",
                "/vod/live/rec/" + row["file_name"].split("/")[0] + ".part/index.m3u8"):
        try:
            urllib.request.urlopen(f"http://{HOST}:{server.http_port}{bad}", timeout=5)
            raise AssertionError(f"{bad} was served")
        except urllib.error.HTTPError as e:
            assert e.code in (400, 404), (bad, e.code)


def test_hls_recording_follows_play_auth_and_signs_its_segments(servers, clients):
    server = servers.start(hls_config({"apps": {"live": {"play_auth": {"key": "pk"}}}}))
    pub = push(clients, server, "sec", 5)
    assert pub.wait(30) == 0
    [row] = wait_rows(server, "sec", 1, timeout=20)
    base = f"http://{HOST}:{server.http_port}{row['vod_path']}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(base, timeout=5)
    assert refused.value.code == 403
    assert row["video_url"].split("?")[0].endswith(row["vod_path"]) and "txSecret=" in row["video_url"]
    signed = base + valid("pk", "sec")
    with urllib.request.urlopen(signed, timeout=10) as r:
        text = r.read().decode()
    segment_lines = [l for l in text.splitlines() if l and not l.startswith("#")]
    assert segment_lines and all("txSecret=" in l for l in segment_lines), text
    assert abs(probe_duration(signed) - 5) < 1.5


def test_hls_recording_survives_kill9_as_a_playable_playlist(servers, clients):
    server = servers.start(hls_config())
    push(clients, server, "crash", 60)
    wait_live(server, "crash")
    folder = vod_dir(server, "crash")

    def part_playlist():
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            playlist = os.path.join(folder, name, "index.m3u8")
            if name.endswith(".hls.part") and os.path.exists(playlist):
                with open(playlist) as f:
                    if f.read().count("#EXTINF:") >= 3:
                        return playlist
        return None

    playlist = wait_until(part_playlist, 20, "three segments in the .part playlist")
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    server.stopped = True
    with open(playlist) as f:
        text = f.read()
    assert "#EXT-X-ENDLIST" not in text
    listed = sum(float(l.split(":")[1].rstrip(",")) for l in text.splitlines() if l.startswith("#EXTINF:"))
    clients.cleanup()

    restarted = servers.start(deep_merge(hls_config(), {"server": {"data_dir": server.data_dir}}))
    restarted.data_dir = server.data_dir
    [row] = wait_rows(restarted, "crash", 1, timeout=20)
    assert row["recovered"] is True and row["file_format"] == "hls", row
    with open(row["file_path"]) as f:
        landed = f.read()
    assert landed.endswith("#EXT-X-ENDLIST\n") and landed.count("#EXTINF:") >= 3, landed
    d = probe_duration(f"http://{HOST}:{restarted.http_port}{row['vod_path']}")
    assert d >= listed - 1 and abs(d - row["duration"]) < 1.0, (d, row["duration"], listed)
    assert not any(n.endswith(".part") for n in os.listdir(folder))
