"""Recording (PRODUCT.md section 5): FLV and MP4 files that land atomically, by config or by push
URL, split on key frames, recovered after kill -9, served with Range from /vod, listed by the API."""
import http.client
import json
import os
import signal
import subprocess
import time
import urllib.parse

import pytest

import testmedia
from apiclient import call, sign, valid
from harness import FFMPEG, HOST, deep_merge, memory_mib, wait_live
from rtmpraw import RtmpClient, amf_encode
from test_callbacks import receivers  # noqa: F401 (the fixture: a real callback receiver)

PUSH_S = 6


def record_config(enabled=True, fmt="mp4", interval=0, notify_url=None):
    cfg = {"apps": {"live": {"record": {"enabled": enabled, "format": fmt, "interval": interval}}}}
    if notify_url:
        cfg["notify"] = {"url": notify_url, "key": "k"}
    return cfg


def push(clients, server, stream, seconds, query="", media="av.flv"):
    """ffmpeg pushing SECONDS of media in real time (then it stops by itself)."""
    cmd = [*FFMPEG, "-re", "-stream_loop", "-1", "-i", testmedia.media_path(media), "-t", str(seconds),
           "-c", "copy", "-f", "flv", server.rtmp_url(stream) + query]
    return clients.run(cmd, what="publish")


def vod_dir(server, stream, app="live"):
    return os.path.join(server.data_dir, "vod", app, stream)


def files(server, stream, app="live"):
    d = vod_dir(server, stream, app)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def wait_landed(server, stream, count=1, timeout=20.0):
    """Landed files (no .part left) once COUNT are there; their full paths."""
    deadline = time.monotonic() + timeout
    names = []
    while time.monotonic() < deadline:
        names = files(server, stream)
        landed = [n for n in names if n.endswith((".mp4", ".flv"))]
        if len(landed) >= count and not any(n.endswith((".part", ".landing")) for n in names):
            return [os.path.join(vod_dir(server, stream), n) for n in landed]
        time.sleep(0.2)
    raise AssertionError(f"{count} landed file(s) for {stream} not seen within {timeout}s; have {names}")


def probe(path):
    res = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, f"ffprobe {path}: {res.stderr}"
    return json.loads(res.stdout)


def duration(path):
    return float(probe(path)["format"]["duration"])


def decodes(path):
    """ffmpeg reads (demuxes) the whole file without an error."""
    res = subprocess.run([*FFMPEG[:-2], "-loglevel", "error", "-i", path, "-c", "copy", "-f", "null", "-"],
                         capture_output=True, text=True, timeout=60)
    return res.returncode == 0 and not res.stderr.strip(), res.stderr


def top_level_boxes(path):
    boxes = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[pos + 8:pos + 16], "big")
        boxes.append(kind)
        if size < 8:
            break
        pos += size
    return boxes


def recordings(server, stream):
    status, answer = call(server, "GET", f"/api/v1/recordings?app=live&stream={stream}")
    assert status == 200 and answer["code"] == 0, answer
    return answer["data"]


def wait_rows(server, stream, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        rows = recordings(server, stream)
        if len(rows) >= count:
            return rows
        time.sleep(0.2)
    raise AssertionError(f"{count} recordings rows for {stream} not listed within {timeout}s: {rows}")


# ---------------------------------------------------------------- formats


def test_mp4_lands_seekable_with_its_duration_and_is_listed(servers, clients):
    server = servers.start(record_config(fmt="mp4"))
    pub = push(clients, server, "m", PUSH_S)
    assert pub.wait(PUSH_S + 20) == 0, pub.output()
    [path] = wait_landed(server, "m")
    assert path.endswith(".mp4") and os.path.basename(path).startswith("m_")
    assert abs(duration(path) - PUSH_S) < 1.0, duration(path)
    boxes = top_level_boxes(path)
    assert "moov" in boxes and "mdat" in boxes and boxes.index("moov") < boxes.index("mdat"), boxes
    assert "moof" not in boxes, boxes
    kinds = {s["codec_type"] for s in probe(path)["streams"]}
    assert kinds == {"video", "audio"}
    ok, err = decodes(path)
    assert ok, err
    [row] = wait_rows(server, "m", 1)
    assert row["file_path"] == os.path.realpath(path)
    assert row["file_format"] == "mp4" and row["file_size"] == os.path.getsize(path)
    assert abs(row["duration"] - PUSH_S) < 1.0 and row["end_time"] >= row["start_time"]
    assert row["vod_path"] == f"/vod/live/m/{os.path.basename(path)}"
    assert row["recovered"] is False


def test_flv_lands_with_headers_first_and_timestamps_from_zero(servers, clients):
    server = servers.start(record_config(fmt="flv"))
    pub = push(clients, server, "f", PUSH_S)
    assert pub.wait(PUSH_S + 20) == 0, pub.output()
    [path] = wait_landed(server, "f")
    assert path.endswith(".flv")
    assert abs(duration(path) - PUSH_S) < 1.0, duration(path)
    info = probe(path)
    assert {s["codec_type"] for s in info["streams"]} == {"video", "audio"}
    assert float(info["format"].get("start_time", 0)) < 0.1
    ok, err = decodes(path)
    assert ok, err


def test_url_parameter_records_when_config_is_off_and_nothing_otherwise(servers, clients):
    server = servers.start(record_config(enabled=False))
    on = push(clients, server, "on", 3, query="?record=flv")
    off = push(clients, server, "off", 3)
    assert on.wait(25) == 0 and off.wait(25) == 0
    [path] = wait_landed(server, "on")
    assert path.endswith(".flv")
    time.sleep(1)
    assert files(server, "off") == []
    assert recordings(server, "off") == []


@pytest.mark.parametrize("fmt", ["mp4", "flv"])
def test_interval_split_gives_consecutive_files_with_no_gap(servers, clients, fmt):
    """Also the durations players see: an FLV file's onMetaData states its own (ffmpeg's push
    states the whole push's)."""
    server = servers.start(record_config(fmt=fmt))
    total = 13
    pub = push(clients, server, "split", total, query="?record_interval=10")  # key frames every 2 s
    assert pub.wait(total + 20) == 0, pub.output()
    paths = wait_landed(server, "split", count=2)
    durations = [duration(p) for p in paths]
    assert all(d > 1.5 for d in durations[:-1]), durations  # the last one is what remains
    assert abs(sum(durations) - total) < 1.0, durations
    rows = sorted(wait_rows(server, "split", len(paths)), key=lambda r: r["start_time"])
    assert len(rows) == len(paths)
    for a, b in zip(rows, rows[1:]):
        # Each file starts where the previous one ended (start times are whole seconds).
        assert abs(a["start_time"] + a["duration"] - b["start_time"]) <= 1.0, (a, b)
    # The files join into the whole push: their frame counts add up to one continuous stream.
    frames = 0
    for p in paths:
        res = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-count_packets",
                              "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", p],
                             capture_output=True, text=True, timeout=30)
        frames += int(res.stdout.strip())
    assert abs(frames - total * 25) <= 25, frames  # 25 fps; a second of slack for the push edges


# ---------------------------------------------------------------- process life


def test_sigterm_lands_the_recording(servers, clients):
    server = servers.start(record_config(fmt="mp4"))
    push(clients, server, "term", 60)
    wait_live(server, "term")
    time.sleep(4)
    assert any(n.endswith(".part") for n in files(server, "term"))
    assert server.stop() == 0
    names = files(server, "term")
    assert len(names) == 1 and names[0].endswith(".mp4"), names
    assert abs(duration(os.path.join(vod_dir(server, "term"), names[0])) - 4) < 1.5


def test_kill9_then_restart_recovers_a_playable_file_and_reports_it(servers, clients):
    from test_callbacks import Receiver
    receiver = Receiver().start()
    try:
        server = servers.start(record_config(fmt="mp4", notify_url=receiver.url()))
        pub = push(clients, server, "crash", 60)
        wait_live(server, "crash")
        started = time.monotonic()
        time.sleep(6)
        server.proc.send_signal(signal.SIGKILL)
        recorded_s = time.monotonic() - started
        server.proc.wait(10)
        server.stopped = True
        pub.cleanup()
        parts = [n for n in files(server, "crash") if n.endswith(".part")]
        assert len(parts) == 1, files(server, "crash")

        same_data = {"server": {"data_dir": server.data_dir}}
        restarted = servers.start(deep_merge(record_config(fmt="mp4", notify_url=receiver.url()), same_data))
        restarted.data_dir = server.data_dir
        [path] = wait_landed(server, "crash")
        d = duration(path)
        lost = recorded_s - d
        print(f"kill -9 after {recorded_s:.2f} s of recording: recovered {d:.2f} s, lost {lost:.2f} s")
        assert d > 3.0 and lost < 2.5, (recorded_s, d)
        boxes = top_level_boxes(path)
        assert boxes.index("moov") < boxes.index("mdat"), boxes
        ok, err = decodes(path)
        assert ok, err
        [row] = wait_rows(restarted, "crash", 1)
        assert row["recovered"] is True and row["file_path"] == os.path.realpath(path)
        bodies = receiver.wait_for(
            lambda rs: any(r["body"]["event"] == "record" for r in rs), 20, "the record callback")
        record = [r["body"] for r in bodies if r["body"]["event"] == "record"][0]
        assert record["event_type"] == 100 and record["file_path"] == os.path.realpath(path)
        assert record["file_format"] == "mp4" and record["file_size"] == os.path.getsize(path)
        assert record["video_url"].endswith(row["vod_path"])
        # The session the file belongs to, though the process that knew it is gone.
        publish = [r["body"] for r in bodies if r["body"]["event"] == "publish"][0]
        assert record["sequence"] == publish["sequence"] and record["sequence"], (record, publish)
        assert record["client_ip"] == "127.0.0.1", record
    finally:
        receiver.stop()


# ---------------------------------------------------------------- VOD serving


@pytest.fixture
def recorded(servers, clients):
    server = servers.start(record_config(fmt="flv"))
    pub = push(clients, server, "v", 3)
    assert pub.wait(25) == 0
    [path] = wait_landed(server, "v")
    return server, path


def request(server, path, headers=None, method="GET"):
    conn = http.client.HTTPConnection(HOST, server.http_port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_vod_serves_whole_files_and_exact_ranges(recorded):
    server, path = recorded
    with open(path, "rb") as f:
        data = f.read()
    url = f"/vod/live/v/{os.path.basename(path)}"
    status, headers, body = request(server, url)
    assert status == 200 and body == data
    assert headers["content-type"] == "video/x-flv" and headers["accept-ranges"] == "bytes"
    assert int(headers["content-length"]) == len(data)
    status, headers, body = request(server, url, {"Range": "bytes=100-1099"})
    assert status == 206 and body == data[100:1100]
    assert headers["content-range"] == f"bytes 100-1099/{len(data)}"
    status, headers, body = request(server, url, {"Range": f"bytes={len(data) - 10}-"})
    assert status == 206 and body == data[-10:]
    status, headers, body = request(server, url, {"Range": "bytes=-300"})
    assert status == 206 and body == data[-300:]
    status, headers, _ = request(server, url, {"Range": f"bytes={len(data)}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{len(data)}"
    status, headers, body = request(server, url, method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) == len(data)
    # Keep-alive: two requests on one connection.
    conn = http.client.HTTPConnection(HOST, server.http_port, timeout=10)
    for _ in range(2):
        conn.request("GET", url, headers={"Range": "bytes=0-9"})
        resp = conn.getresponse()
        assert resp.status == 206 and resp.read() == data[:10]
    conn.close()
    # ffprobe seeks in it over HTTP.
    res = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-of", "json",
                          f"http://{HOST}:{server.http_port}{url}"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr


def test_vod_refuses_traversal_parts_and_symlinks(recorded, tmp_path):
    server, path = recorded
    name = os.path.basename(path)
    folder = os.path.dirname(path)
    with open(os.path.join(folder, "x_20250101-000000.mp4.part"), "wb") as f:
        f.write(b"partial")
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"secret")
    os.symlink(secret, os.path.join(folder, "link.mp4"))
    os.symlink(str(tmp_path), os.path.join(server.data_dir, "vod", "live", "out"))
    for target in ["/vod/live/v/x_20250101-000000.mp4.part", "/vod/live/v/link.mp4",
                   "/vod/live/out/secret.mp4", "/vod/../liveorigin.yaml", "/vod/live/../../liveorigin.yaml",
                   "/vod/live/v/..%2f..%2f..%2fliveorigin.yaml", "/vod/live/%2e%2e/v/" + name,
                   "/vod/%2e%2e/live/v/" + name, "/vod/live/v/%2e%2e", "/vod/live/v", "/vod/live/v/" + name + "/x",
                   "/vod/live/v/liveorigin.db"]:
        status, _, body = request(server, target)
        assert status in (400, 404), (target, status)
        assert b"secret" not in body and b"partial" not in body
    assert request(server, "/vod/live/v/" + name)[0] == 200


def test_huge_metadata_of_nulls_lands_without_growing_the_server(servers, clients):
    # ~2 MB of AMF0 nulls in onMetaData: each null is one byte on the wire and ~100 decoded. The
    # landing reads the first data tag's AMF0 to patch duration and filesize.
    server = servers.start()
    before = memory_mib(server, "VmHWM")
    c = RtmpClient(HOST, server.rtmp_port)
    try:
        sid = c.publish("nulls?record=flv")
        n = 2_000_000
        nulls = b"\x0a" + n.to_bytes(4, "big") + b"\x05" * n
        metadata = (amf_encode("@setDataFrame") + amf_encode("onMetaData") + b"\x08\x00\x00\x00\x02"
                    + b"\x00\x08duration" + amf_encode(0) + b"\x00\x05nulls" + nulls + b"\x00\x00\x09")
        c.send_media(18, 0, metadata, sid)
        avc_record = bytes([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0x00, 0x1f, 1, 0, 2, 0x68, 0xee])
        c.send_media(9, 0, bytes([0x17, 0, 0, 0, 0]) + avc_record, sid)
        for t in range(0, 1000, 40):
            frame = bytes([0x17 if t == 0 else 0x27, 1, 0, 0, 0, 0, 0, 0, 2, 0x65 if t == 0 else 0x41, 0])
            c.send_media(9, t, frame, sid)
        reply = c._call("releaseStream", None, "nulls")  # a round trip: all of the above was read
        assert reply and reply[0] == "_result"
    finally:
        c.close()
    landed = wait_landed(server, "nulls")
    assert landed[0].endswith(".flv")
    assert server.alive()
    growth = memory_mib(server, "VmHWM") - before
    print(f"peak RSS growth for a 2 MB onMetaData of nulls: {growth:.1f} MiB")
    assert growth < 64, f"peak RSS grew by {growth:.0f} MiB for a 2 MB onMetaData"


def test_vod_fifo_is_refused_at_once_and_the_server_keeps_serving(recorded):
    """Opening a FIFO for reading waits for a writer: the server must not open one that way."""
    server, path = recorded
    fifo = os.path.join(os.path.dirname(path), "v_20250101-000000.flv")
    os.mkfifo(fifo)
    status, _, _ = request(server, "/vod/live/v/" + os.path.basename(fifo))  # 10 s socket timeout
    assert status == 404
    status, _, body = request(server, "/vod/live/v/" + os.path.basename(path))
    assert status == 200 and len(body) == os.path.getsize(path)


# ---------------------------------------------------------------- VOD and play auth


PLAY_KEY = "play-secret"


def test_vod_follows_the_apps_play_auth(servers, clients, receivers):
    rx = receivers().start()
    cfg = deep_merge(record_config(fmt="flv", notify_url=rx.url()), {"apps": {"live": {"play_auth": {"key": PLAY_KEY}}}})
    server = servers.start(cfg)
    pub = push(clients, server, "p", 3)
    assert pub.wait(25) == 0
    [path] = wait_landed(server, "p")
    with open(path, "rb") as f:
        data = f.read()
    url = f"/vod/live/p/{os.path.basename(path)}"
    assert request(server, url)[0] == 403
    assert request(server, url + sign(PLAY_KEY, "p", int(time.time()) - 10))[0] == 403  # expired
    assert request(server, url + sign("wrong", "p", int(time.time()) + 3600))[0] == 403
    assert request(server, url + valid(PLAY_KEY, "other"))[0] == 403  # another stream's secret
    status, _, body = request(server, url + valid(PLAY_KEY, "p"))
    assert status == 200 and body == data
    status, headers, body = request(server, url + valid(PLAY_KEY, "p"), {"Range": "bytes=100-1099"})
    assert status == 206 and body == data[100:1100]
    # The URLs the server hands out pass: the API's list and the record callback.
    [row] = wait_rows(server, "p", 1)
    status, _, body = request(server, urllib.parse.urlsplit(row["video_url"])._replace(scheme="", netloc="").geturl())
    assert status == 200 and body == data, row["video_url"]
    [event] = [r["body"] for r in rx.wait_for(
        lambda rs: any(r["body"]["event"] == "record" for r in rs), 15, "the record event") if r["body"]["event"] == "record"]
    assert "txSecret=" in event["video_url"], event
    status, _, body = request(server, urllib.parse.urlsplit(event["video_url"])._replace(scheme="", netloc="").geturl())
    assert status == 200 and body == data, event["video_url"]


# ---------------------------------------------------------------- record limits


def test_url_record_interval_has_a_floor_and_apps_may_refuse_url_recording(servers, clients):
    """record_interval=0.001 once split a few seconds of audio into hundreds of files."""
    server = servers.start({"apps": {"live": {}, "closed": {"record": {"allow_url": False}}}})
    tiny = push(clients, server, "tiny", 4, query="?record=flv&record_interval=0.001", media="audio.flv")
    cmd = [*FFMPEG, "-re", "-i", testmedia.media_path("audio.flv"), "-t", "3", "-c", "copy", "-f", "flv",
           server.rtmp_url("asked", app="closed") + "?record=flv&record_interval=10"]
    asked = clients.run(cmd, what="publish")
    assert tiny.wait(25) == 0 and asked.wait(25) == 0
    paths = wait_landed(server, "tiny")
    assert len(paths) <= 2, f"{len(paths)} files for 4 s of audio"
    assert len(recordings(server, "tiny")) <= 2
    assert "record_interval=0.001 raised to the minimum of 10 s" in server.log_text()
    assert files(server, "asked", app="closed") == []
    assert "record.allow_url is false" in server.log_text()
