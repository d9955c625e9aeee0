"""Usage for billing (GET /api/v1/usage, /metrics per-app counters): real players read a known
stream and the API's bytes and player time must match what they actually read."""
import json
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

import apiclient
import testmedia
from harness import FFMPEG, HOST

CLIP_S = 20
TOLERANCE = 0.02


def make_clip(tmp_path):
    """A CLIP_S seconds cut of the test media, published once (not looped)."""
    clip = str(tmp_path / "clip.flv")
    subprocess.run([*FFMPEG[:-2], "-loglevel", "error", "-y", "-i", testmedia.media_path("av.flv"),
                    "-t", str(CLIP_S), "-c", "copy", "-f", "flv", clip], check=True, timeout=60,
                   stdin=subprocess.DEVNULL)
    return clip


def published_bytes(clip):
    """FLV tag bodies of the clip's media: packet bytes plus the video (5) and audio (2) tag headers."""
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "packet=codec_type,size", "-of", "json", clip],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    total = 0
    for p in json.loads(out)["packets"]:
        total += int(p["size"]) + (5 if p["codec_type"] == "video" else 2)
    return total


class FlvReader(threading.Thread):
    """An HTTP-FLV player on a raw socket: counts the body bytes it reads until the server closes."""

    def __init__(self, server, stream):
        super().__init__(daemon=True)
        self.sock = socket.create_connection((HOST, server.http_port), timeout=30)
        self.sock.sendall(f"GET /live/{stream}.flv HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        self.connected_at = time.monotonic()
        self.closed_at = None
        self.body_bytes = 0
        self.error = None

    def run(self):
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                data = self.sock.recv(65536)
                assert data, "closed before the response head"
                buf += data
            head, body = buf.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.1 200"), head
            self.body_bytes = len(body)
            while True:
                data = self.sock.recv(1 << 20)
                if not data:
                    break
                self.body_bytes += len(data)
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            self.closed_at = time.monotonic()
            self.sock.close()


class HlsReader(threading.Thread):
    """An HLS player: fetches the playlist about once a second and every new segment, counting the
    bytes of every answer body, until told to stop."""

    def __init__(self, server, stream):
        super().__init__(daemon=True)
        self.base = f"http://{HOST}:{server.http_port}/live/"
        self.stream = stream
        self.stop = threading.Event()
        self.bytes = 0
        self.first_fetch = None
        self.last_fetch = None
        self.segments = 0
        self.error = None

    def get(self, name):
        with urllib.request.urlopen(self.base + name, timeout=10) as r:
            body = r.read()
        self.bytes += len(body)
        return body

    def run(self):
        seen = set()
        try:
            while True:
                stopping = self.stop.is_set()
                try:
                    text = self.get(f"{self.stream}.m3u8").decode()
                except urllib.error.HTTPError as e:
                    if stopping and e.code == 404:
                        return  # the ended stream's playlist is gone already
                    raise
                now = time.monotonic()
                self.first_fetch = self.first_fetch or now
                self.last_fetch = now
                for line in text.splitlines():
                    if line and not line.startswith("#") and line not in seen:
                        seen.add(line)
                        self.get(line)
                        self.segments += 1
                if stopping:
                    return
                self.stop.wait(1.0)
        except Exception as e:
            self.error = e


def playlist_ready(server, stream):
    # Another user agent than the reader's: the server tells HLS players apart by address and agent.
    request = urllib.request.Request(f"http://{HOST}:{server.http_port}/live/{stream}.m3u8",
                                     headers={"User-Agent": "readiness-check"})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def usage(server, query):
    return apiclient.data(server, "GET", "/api/v1/usage?" + query)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        ok, last = predicate()
        if ok:
            return last
        time.sleep(0.3)
    raise AssertionError(f"{what} within {timeout}s; last: {last}")


def test_usage_matches_what_players_read_and_published(servers, clients, tmp_path):
    server = servers.start({"apps": {"live": {"hls": {"enabled": True, "fragment": 1}}}})
    clip = make_clip(tmp_path)
    expected_in = published_bytes(clip)
    started = int(time.time())
    publisher = clients.run([*FFMPEG, "-re", "-i", clip, "-c", "copy", "-f", "flv", server.rtmp_url("bill")],
                            what="publish")
    # Live, asked of the API: an FLV probe (wait_live) would be a player too, and its bytes would count.
    wait_for(lambda: (apiclient.call(server, "GET", "/api/v1/streams/live/bill")[1].get("data", {}).get("online")
                      is True, None), 15, "the stream not live")
    flv = FlvReader(server, "bill")
    flv.start()
    hls = HlsReader(server, "bill")
    # The first segment needs a fragment of media.
    wait_for(lambda: (playlist_ready(server, "bill"), None), 10, "no HLS playlist")
    hls.start()
    assert publisher.wait(CLIP_S + 30) == 0
    flv.join(30)
    assert not flv.is_alive(), "the FLV player was not closed at the end of the stream"
    hls.stop.set()
    hls.join(30)
    assert flv.error is None and hls.error is None, (flv.error, hls.error)
    assert hls.segments >= CLIP_S // 2
    flv_seconds = flv.closed_at - flv.connected_at
    hls_seconds = hls.last_fetch - hls.first_fetch
    ended = int(time.time()) + 1

    # The current minute is in the answer (counted every second): no minute boundary to wait for.
    def stream_total():
        total = usage(server, f"app=live&stream=bill&step=minute&from={started - 60}&to={ended + 60}")["total"]
        out = total["bytes_out"]
        done = (out["flv"] >= flv.body_bytes * (1 - TOLERANCE) and out["hls"] >= hls.bytes * (1 - TOLERANCE)
                and total["bytes_in"] >= expected_in * (1 - TOLERANCE))
        return done, total

    total = wait_for(stream_total, 10, "usage did not reach what the players read")
    out = total["bytes_out"]
    print(f"usage: flv read {flv.body_bytes} / counted {out['flv']}, hls read {hls.bytes} / counted {out['hls']}, "
          f"published {expected_in} / counted {total['bytes_in']}, player seconds flv {flv_seconds:.2f} / "
          f"{total['player_seconds']['flv']}, hls {hls_seconds:.2f} / {total['player_seconds']['hls']}, "
          f"peak {total['peak_kbps_out']} kbps")
    assert out["flv"] == pytest.approx(flv.body_bytes, rel=TOLERANCE)
    assert out["hls"] == pytest.approx(hls.bytes, rel=TOLERANCE)
    assert out["rtmp"] == 0 and out["vod"] == 0
    assert total["bytes_out_total"] == sum(out.values())
    assert total["bytes_in"] == pytest.approx(expected_in, rel=TOLERANCE)
    seconds = total["player_seconds"]
    assert seconds["flv"] == pytest.approx(flv_seconds, abs=1.5), (seconds, flv_seconds)
    assert seconds["hls"] == pytest.approx(hls_seconds, abs=2.5), (seconds, hls_seconds)
    assert flv_seconds == pytest.approx(CLIP_S, abs=4)
    # Both players at once: the peak is at least the clip's average rate.
    assert total["peak_kbps_out"] >= (flv.body_bytes * 8 / 1000) / CLIP_S

    # Larger steps and the app's and server's totals agree with the minutes.
    span = f"from={started - 60}&to={ended + 60}"
    minutes = usage(server, f"app=live&stream=bill&step=minute&{span}")
    assert len(minutes["items"]) >= 1
    assert sum(i["bytes_out"]["flv"] for i in minutes["items"]) == out["flv"]
    for step in ("hour", "day"):
        other = usage(server, f"app=live&stream=bill&step={step}&{span}")
        assert other["total"]["bytes_out"] == out and other["total"]["bytes_in"] == total["bytes_in"], step
        assert other["total"]["player_seconds"]["flv"] == pytest.approx(seconds["flv"], abs=0.01)
    app_total = usage(server, f"app=live&step=day&{span}")["total"]
    server_total = usage(server, f"step=day&{span}")["total"]
    assert app_total["bytes_out"] == out and server_total["bytes_out"] == out

    # /metrics: bytes per app.
    status, metrics = apiclient.call(server, "GET", "/metrics")
    assert status == 200
    flv_metric = re.search(r'^liveorigin_app_bytes_out_total\{app="live",protocol="flv"\} (\d+)$', metrics, re.M)
    assert flv_metric and int(flv_metric.group(1)) == out["flv"], metrics
    assert re.search(r'^liveorigin_app_bytes_in_total\{app="live"\} (\d+)$', metrics, re.M)

    # A stop writes the partial minute: after a restart the store alone has the same totals.
    assert server.stop() == 0
    server.start()
    apiclient.wait_api(server)
    again = usage(server, f"app=live&stream=bill&step=day&{span}")["total"]
    assert again["bytes_out"] == out and again["bytes_in"] == total["bytes_in"]


@pytest.mark.parametrize("query,message", [
    ("step=week", "step must be"),
    ("from=abc", "from must be"),
    ("to=-5", "to must be"),
    ("from=200&to=100", "from must be before to"),
    ("stream=x", "stream needs app"),
    ("app=bad%2Fname", "invalid app"),
    ("step=minute&from=0&to=100000000", "use a larger step"),
])
def test_bad_usage_parameters_are_a_clear_400(server, query, message):
    status, answer = apiclient.call(server, "GET", "/api/v1/usage?" + query)
    assert status == 400 and answer["code"] != 0 and message in answer["message"], answer


def test_usage_needs_the_token(server):
    assert apiclient.call(server, "GET", "/api/v1/usage", token=None)[0] == 401
