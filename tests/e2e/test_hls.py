"""HLS delivery (PRODUCT.md sections 2 and 4): playlists and MPEG-TS segments served from memory,
read by real clients (ffprobe, ffmpeg), plus hls.path on disk and republish continuity."""
import json
import os
import re
import subprocess
import time

import pytest

from harness import (HOST, Clients, ServerPool, ffmpeg_read, ffprobe, http_get, memory_mib,
                     streams_by_type, wait_live, wait_offline)

KEYFRAME_INTERVAL = 2.0  # av.flv: GOP 50 at 25 fps


def get(srv, path, timeout=5.0):
    """(status, headers, body) with the whole body."""
    import http.client
    conn = http.client.HTTPConnection(HOST, srv.http_port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def parse_playlist(text):
    """{'target': int, 'sequence': int, 'segments': [(duration, uri, discontinuity)]}."""
    out = {"target": None, "sequence": None, "segments": []}
    disc = False
    duration = None
    for line in text.splitlines():
        if line.startswith("#EXT-X-TARGETDURATION:"):
            out["target"] = int(line.split(":")[1])
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            out["sequence"] = int(line.split(":")[1])
        elif line == "#EXT-X-DISCONTINUITY":
            disc = True
        elif line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",")[0])
        elif line and not line.startswith("#"):
            out["segments"].append((duration, line, disc))
            disc = False
    return out


def wait_playlist(srv, stream, min_segments, timeout=30.0, app="live", pred=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            status, _, body = get(srv, f"/{app}/{stream}.m3u8")
            last = (status, body[:300])
            if status == 200:
                pl = parse_playlist(body.decode())
                if len(pl["segments"]) >= min_segments and (pred is None or pred(pl)):
                    return pl
        except OSError as e:
            last = repr(e)
        time.sleep(0.3)
    raise AssertionError(f"{app}/{stream}.m3u8: not {min_segments} segments within {timeout}s (last: {last})")


@pytest.fixture(scope="module")
def hls_server(liveorigin_bin, tmp_path_factory):
    """One server with av.flv on live/s and audio.flv on live/a; HLS also written to disk."""
    pool = ServerPool(liveorigin_bin, lambda: tmp_path_factory.mktemp("srv"))
    clients = Clients(tmp_path_factory.mktemp("clients"))
    hls_dir = str(tmp_path_factory.mktemp("hlsdisk"))
    try:
        srv = pool.start({"apps": {"live": {"hls": {"enabled": True, "fragment": 2, "window": 6,
                                                    "path": hls_dir}}}})
        srv.hls_dir = hls_dir
        clients.publish(srv, "s", "av.flv")
        clients.publish(srv, "a", "audio.flv")
        wait_live(srv, "s")
        wait_playlist(srv, "s", 4)
        wait_playlist(srv, "a", 3)
        yield srv
    finally:
        clients.cleanup()
        problems = pool.stop_all()
    assert not problems, "\n".join(problems)


def test_playlist_response_and_segment_durations(hls_server):
    status, headers, body = get(hls_server, "/live/s.m3u8")
    assert status == 200, body
    assert headers.get("content-type") == "application/vnd.apple.mpegurl", headers
    assert headers.get("access-control-allow-origin") == "*", headers
    assert headers.get("cache-control") == "max-age=1", headers
    text = body.decode()
    assert text.startswith("#EXTM3U\n"), text
    pl = parse_playlist(text)
    assert pl["sequence"] is not None and pl["target"] >= 2, text
    assert 1 <= len(pl["segments"]) <= 6, text
    for duration, uri, _ in pl["segments"]:
        assert "/" not in uri and uri.endswith(".ts"), f"segment URIs are relative: {uri}"
        # RFC 8216 4.3.3.1: each duration rounded to the nearest integer is at most the target.
        assert int(duration + 0.5) <= pl["target"], f"segment longer than the target duration: {text}"
        assert abs(duration - KEYFRAME_INTERVAL) <= 0.5, f"segment of {duration}s for 2s key frames: {text}"
    assert pl["target"] == 2, f"2 s segments round to a target of 2: {text}"


def test_segment_response_is_mpegts(hls_server):
    pl = parse_playlist(get(hls_server, "/live/s.m3u8")[2].decode())
    status, headers, body = get(hls_server, f"/live/{pl['segments'][0][1]}")
    assert status == 200
    assert headers.get("content-type") == "video/mp2t", headers
    assert headers.get("access-control-allow-origin") == "*", headers
    assert headers.get("cache-control") == "max-age=3600", headers
    assert len(body) > 10000 and len(body) % 188 == 0 and body[0] == 0x47 and body[188] == 0x47


def test_ffprobe_sees_h264_and_aac(hls_server):
    url = f"http://{HOST}:{hls_server.http_port}/live/s.m3u8"
    rc, probe, err = ffprobe(url)
    assert rc == 0, f"ffprobe {url}: {err}"
    by = streams_by_type(probe)
    assert len(by.get("video", [])) == 1 and len(by.get("audio", [])) == 1, probe
    v, a = by["video"][0], by["audio"][0]
    assert v["codec_name"] == "h264" and (v["width"], v["height"]) == (640, 360), v
    assert a["codec_name"] == "aac" and int(a["sample_rate"]) == 44100 and a["channels"] == 2, a


def test_ffmpeg_reads_several_segments_without_errors(hls_server):
    url = f"http://{HOST}:{hls_server.http_port}/live/s.m3u8"
    rc, err = ffmpeg_read(url, seconds=7, timeout=40)
    assert rc == 0, err
    assert err.strip() == "", f"ffmpeg reported errors reading {url}:\n{err}"


def test_timestamps_monotonic_across_consecutive_segments(hls_server, tmp_path):
    """What MSE players (hls.js) append: consecutive segments, back to back."""
    pl = parse_playlist(get(hls_server, "/live/s.m3u8")[2].decode())
    joined = tmp_path / "joined.ts"
    with open(joined, "wb") as f:
        for _, uri, _ in pl["segments"][-3:]:
            status, _, body = get(hls_server, f"/live/{uri}")
            assert status == 200, uri
            f.write(body)
    res = subprocess.run(["ffprobe", "-v", "error", "-show_packets", "-show_entries",
                          "packet=stream_index,codec_type,pts_time,dts_time,flags", "-of", "json",
                          str(joined)], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0 and res.stderr.strip() == "", res.stderr
    packets = json.loads(res.stdout)["packets"]
    firsts = {}
    for kind in ("video", "audio"):
        dts = [float(p["dts_time"]) for p in packets if p["codec_type"] == kind]
        assert len(dts) > 50, f"{kind}: {len(dts)} packets"
        steps = [b - a for a, b in zip(dts, dts[1:])]
        assert min(steps) > 0, f"{kind} DTS not strictly increasing"
        assert max(steps) < 0.2, f"{kind} DTS jumps by {max(steps)}s between segments"
        firsts[kind] = dts[0]
    video = [p for p in packets if p["codec_type"] == "video"]
    assert "K" in video[0]["flags"], "a segment must start on a key frame"
    assert abs(firsts["video"] - firsts["audio"]) < 0.5, firsts


def test_audio_only_stream(hls_server):
    pl = parse_playlist(get(hls_server, "/live/a.m3u8")[2].decode())
    for duration, _, _ in pl["segments"]:
        assert abs(duration - 2.0) <= 0.5, pl
    url = f"http://{HOST}:{hls_server.http_port}/live/a.m3u8"
    rc, probe, err = ffprobe(url)
    assert rc == 0, err
    by = streams_by_type(probe)
    assert set(by) == {"audio"} and by["audio"][0]["codec_name"] == "aac", probe
    rc, err = ffmpeg_read(url, seconds=4, timeout=30)
    assert rc == 0 and err.strip() == "", err


def test_offline_and_unknown_answer_404(hls_server):
    for path in ("/live/nosuch.m3u8", "/live/s-1-0.ts", "/other/s.m3u8", "/live/nosuch-1-1.ts"):
        status, headers, _ = get(hls_server, path)
        assert status == 404, path
        assert headers.get("access-control-allow-origin") == "*", headers
    assert get(hls_server, "/live/bad%20name.m3u8")[0] in (400, 404)
    # The answer says which: no such app, or no such stream.
    assert b"unknown app 'other'" in get(hls_server, "/other/s.m3u8")[2]
    assert b"stream not found" in get(hls_server, "/live/nosuch.m3u8")[2]


def test_files_on_disk_under_hls_path(hls_server):
    pl = wait_playlist(hls_server, "s", 4)
    d = os.path.join(hls_server.hls_dir, "live")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        names = set(os.listdir(d)) if os.path.isdir(d) else set()
        if "s.m3u8" in names and pl["segments"][0][1] in names:
            break
        time.sleep(0.3)
    assert "s.m3u8" in names and "a.m3u8" in names, names
    assert pl["segments"][0][1] in names, (pl, names)
    with open(os.path.join(d, "s.m3u8")) as f:
        assert f.read().startswith("#EXTM3U")
    # Old segments are removed: at most two windows of each stream's segments remain.
    assert len([n for n in names if n.startswith("s-") and n.endswith(".ts")]) <= 13, sorted(names)


def test_hls_path_files_of_an_ended_stream(servers, clients, tmp_path):
    """On disk, an ended stream's playlist says so (#EXT-X-ENDLIST) and its files go once its
    playlist would no longer be served, instead of staying for ever (one set per publish)."""
    hls_dir = str(tmp_path / "hlsdisk")
    srv = servers.start({"apps": {"live": {"hls": {"fragment": 1, "window": 2, "path": hls_dir}}}})
    d = os.path.join(hls_dir, "live")
    pub = clients.publish(srv, "e", "av.flv")
    wait_live(srv, "e")
    wait_playlist(srv, "e", 2)
    pub.cleanup()
    wait_offline(srv, "e")
    deadline = time.monotonic() + 10
    text = ""
    while "#EXT-X-ENDLIST" not in text and time.monotonic() < deadline:
        with open(os.path.join(d, "e.m3u8")) as f:
            text = f.read()
        time.sleep(0.2)
    assert text.rstrip().endswith("#EXT-X-ENDLIST"), text
    # 2 s segments (the key frames), target 2: the offline hold (3 targets) and a window (2).
    deadline = time.monotonic() + 30
    names = os.listdir(d)
    while names and time.monotonic() < deadline:
        time.sleep(0.5)
        names = os.listdir(d)
    assert not names, f"files of the ended stream left on disk: {sorted(names)}"


def test_republish_adds_discontinuity_then_offline_playlist_expires(servers, clients):
    srv = servers.start({"apps": {"live": {"hls": {"fragment": 1, "window": 6}}}})
    pub = clients.publish(srv, "r", "av.flv")
    wait_live(srv, "r")
    first = wait_playlist(srv, "r", 2)
    pub.cleanup()
    wait_offline(srv, "r")
    # Offline: the playlist stays served for a few target durations.
    assert get(srv, "/live/r.m3u8")[0] == 200
    clients.publish(srv, "r", "av.flv")
    pl = wait_playlist(srv, "r", 3, pred=lambda p: any(d for _, _, d in p["segments"]))
    uris = [u for _, u, _ in pl["segments"]]
    assert first["segments"][0][1] in uris or pl["sequence"] > first["sequence"], (first, pl)
    disc = [i for i, (_, _, d) in enumerate(pl["segments"]) if d]
    assert len(disc) == 1 and disc[0] > 0, pl
    # The sequence continued: the new segments' numbers follow the old ones.
    seqs = [int(re.search(r"-(\d+)\.ts$", u).group(1)) for u in uris]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), uris
    clients.cleanup()
    wait_offline(srv, "r")
    deadline = time.monotonic() + 15  # 3 target durations (2 s) plus slack
    while get(srv, "/live/r.m3u8")[0] != 404:
        assert time.monotonic() < deadline, "offline playlist still served after 15 s"
        time.sleep(0.5)


def test_unique_huge_queries_neither_count_as_players_nor_reach_segment_lines(hls_server):
    # Every request a new 15 KB session id and other junk: the player count and the memory stay
    # bounded, and the playlist hands on only the parameters segments need.
    from apiclient import data
    import http.client
    before = memory_mib(hls_server)
    conn = http.client.HTTPConnection(HOST, hls_server.http_port, timeout=10)
    try:
        for i in range(1500):
            junk = f"{i:06d}" + "x" * 15000
            conn.request("GET", f"/live/s.m3u8?session_id={junk}&other={i}&txTime=ab{i}")
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200, body[:200]
    finally:
        conn.close()
    growth = memory_mib(hls_server) - before
    pl = parse_playlist(body.decode())
    assert pl["segments"]
    players = data(hls_server, "GET", "/api/v1/streams/live/s")["players"]["hls"]
    print(f"1500 playlist requests with 15 KB queries: {players} HLS player(s), RSS +{growth:.1f} MiB, "
          f"segment URI {len(pl['segments'][0][1])} bytes")
    for _, uri, _ in pl["segments"]:
        assert len(uri) < 300, uri[:300]
        assert uri.endswith(f"?txTime=ab{i}"), uri
    assert players <= 5, players
    assert growth < 10, f"RSS grew by {growth:.1f} MiB over 1500 playlist requests"

    # A short session id is still one player of its own, and still handed on.
    status, _, body = get(hls_server, "/live/s.m3u8?session_id=abc&foo=bar")
    assert status == 200
    uris = [u for _, u, _ in parse_playlist(body.decode())["segments"]]
    assert uris and all(u.endswith("?session_id=abc") for u in uris), uris
