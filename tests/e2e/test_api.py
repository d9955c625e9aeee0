"""The management API (PRODUCT.md section 7) against a real server: token checks, live stats of a
real ffmpeg stream, disable/enable/drop with their effect on publishers, channels and quota."""
import http.client
import json
import time

import testmedia
from apiclient import call, data, valid, wait_api
from harness import HOST, http_get, wait_live, wait_offline
from rtmpraw import rtmp_status

REFUSE_TIMEOUT = 15


def publish_code(server, stream, app="live"):
    how, info = rtmp_status(HOST, server.rtmp_port, app, stream, "publish")
    return how, (info or {}).get("code")


def test_token_paths_and_bad_requests(server):
    wait_api(server)
    assert call(server, "GET", "/healthz", token=None)[0] == 200
    for token in (None, "wrong", ""):
        status, answer = call(server, "GET", "/api/v1/streams", token=token)
        assert status == 401 and answer["code"] != 0, (token, status, answer)
    assert call(server, "GET", "/metrics", token=None)[0] == 401
    status, answer = call(server, "GET", "/api/v1/streams")
    assert status == 200 and answer == {"code": 0, "message": "ok", "data": []}
    status, answer = call(server, "GET", "/api/v1/nothing")
    assert status == 404 and answer["code"] != 0
    status, answer = call(server, "PUT", "/api/v1/streams/live/s/status", raw_body="{not json")
    assert status == 400 and "JSON" in answer["message"]
    status, answer = call(server, "PUT", "/api/v1/streams/live/s/status", {"status": "maybe"})
    assert status == 400 and answer["message"]
    status, answer = call(server, "PUT", "/api/v1/streams/live/bad%20name/status", {"status": "disabled"})
    assert status == 400 and "invalid" in answer["message"]
    status, answer = call(server, "GET", "/api/v1/streams/live/unknown")
    assert status == 404
    status, answer = call(server, "POST", "/api/v1/streams/live/unknown/drop")
    assert status == 404


def test_stream_stats_show_the_real_stream(server, clients):
    clients.publish(server, "cam")
    wait_live(server, "cam")
    flv = clients.flv(server, "cam")
    assert flv.status == 200
    rtmp_player = clients.rtmp_player(server, "cam")
    time.sleep(4)  # a few seconds of samples for the sliding window
    flv.read_tags_for(0.5)
    s = data(server, "GET", "/api/v1/streams/live/cam")
    assert s["online"] is True and s["status"] == "enabled"
    assert s["publisher"]["ip"] == "127.0.0.1" and s["publisher"]["protocol"] == "rtmp"
    assert abs(s["publisher"]["started_at"] - time.time()) < 30
    v, a = s["video"], s["audio"]
    assert (v["codec"], v["width"], v["height"]) == ("h264", 640, 360), v
    assert 20 <= v["fps"] <= 30, v
    assert v["kbps"] > 10, v
    assert (a["codec"], a["sample_rate"], a["channels"]) == ("aac", 44100, 2), a
    assert 50 <= a["kbps"] <= 250, a
    assert s["players"]["flv"] == 1 and s["players"]["rtmp"] == 1, s["players"]
    assert s["bytes_in"] > 0 and s["bytes_out"] > 0
    listed = data(server, "GET", "/api/v1/streams")
    assert [x["stream"] for x in listed] == ["cam"]
    assert listed[0]["video"]["width"] == 640
    stats = data(server, "GET", "/api/v1/stats")
    assert stats["streams"] == 1 and stats["players"] == 2 and stats["connections"] >= 3
    assert stats["bytes_in"] > 0 and stats["kbps_in"] > 0 and stats["uptime_s"] >= 0
    status, text = call(server, "GET", "/metrics")
    assert status == 200
    assert "liveorigin_streams 1" in text
    assert 'liveorigin_players{protocol="flv"} 1' in text
    assert "liveorigin_bytes_in_total" in text and "liveorigin_connections" in text
    # Per stream, labelled with the default tracks' codecs; no track series for a plain stream.
    assert 'liveorigin_stream_bytes_in_total{app="live",stream="cam",video_codec="h264",audio_codec="aac"} ' in text
    assert "liveorigin_stream_track_bytes_in_total{" not in text
    flv.close()
    rtmp_player.cleanup()
    deadline = time.monotonic() + 10
    while data(server, "GET", "/api/v1/streams/live/cam")["players"] != {"rtmp": 0, "flv": 0, "hls": 0}:
        assert time.monotonic() < deadline, "player counts did not drop after the players left"
        time.sleep(0.3)


def test_disable_cuts_refuses_survives_restart_and_enable(servers, clients):
    server = servers.start()
    publisher = clients.publish(server, "d")
    wait_live(server, "d")
    player = clients.flv(server, "d")
    assert player.status == 200
    started = time.monotonic()
    answer = data(server, "PUT", "/api/v1/streams/live/d/status", {"status": "disabled"})
    assert answer["status"] == "disabled" and answer["publisher_cut"] is True
    took = wait_offline(server, "d", timeout=5)
    assert took <= 1.0, f"disabled stream still live {took:.2f}s later"
    publisher.wait(REFUSE_TIMEOUT)  # the ffmpeg publisher was cut
    assert time.monotonic() - started < REFUSE_TIMEOUT
    assert publish_code(server, "d") == ("status", "NetStream.Publish.Rejected")
    again = clients.publish(server, "d")
    assert again.wait(REFUSE_TIMEOUT) != 0, "a republish of a disabled stream was not refused"
    s = data(server, "GET", "/api/v1/streams/live/d")
    assert s["online"] is False and s["status"] == "disabled"

    # Durable: a restart with the same data_dir keeps it disabled.
    assert server.stop() == 0
    server.start()
    wait_api(server)
    assert publish_code(server, "d") == ("status", "NetStream.Publish.Rejected")
    assert data(server, "GET", "/api/v1/streams/live/d")["status"] == "disabled"
    assert publish_code(server, "other") == ("status", "NetStream.Publish.Start")

    data(server, "PUT", "/api/v1/streams/live/d/status", {"status": "enabled"})
    clients.publish(server, "d")
    wait_live(server, "d")
    assert data(server, "GET", "/api/v1/streams/live/d")["status"] == "enabled"


def test_drop_cuts_only(server, clients):
    publisher = clients.publish(server, "x")
    wait_live(server, "x")
    answer = data(server, "POST", "/api/v1/streams/live/x/drop")
    assert answer["dropped"] is True
    assert wait_offline(server, "x", timeout=5) <= 1.0
    # Known while offline: it has published here (PRODUCT.md section 7).
    s = data(server, "GET", "/api/v1/streams/live/x")
    assert s["online"] is False and s["status"] == "enabled" and s["publisher"] is None, s
    publisher.wait(REFUSE_TIMEOUT)
    clients.publish(server, "x")
    wait_live(server, "x")
    assert data(server, "GET", "/api/v1/streams/live/x")["status"] == "enabled"


CHANNEL_CONFIG = {"apps": {"ch": {"mode": "channel", "max_channels": 2,
                                  "push_auth": {"key": "chkey"}, "play_auth": {"key": "playkey"}}}}


def test_channels_mode_quota_and_urls(servers, clients):
    server = servers.start(CHANNEL_CONFIG)
    wait_api(server)
    # Only channels publish.
    assert publish_code(server, "c1" + valid("chkey", "c1"), app="ch") == ("status", "NetStream.Publish.Rejected")
    created = data(server, "POST", "/api/v1/apps/ch/channels", {"id": "c1"})
    assert created["id"] == "c1"
    push = created["push_url"]
    assert push.startswith(f"rtmp://{HOST}:{server.rtmp_port}/ch/c1?txSecret="), push
    assert set(created["play_urls"]) == {"rtmp", "flv", "hls"}
    flv_url = created["play_urls"]["flv"]
    assert flv_url.startswith(f"http://{HOST}:{server.http_port}/ch/c1.flv?txSecret="), flv_url
    assert created["play_urls"]["hls"].startswith(f"http://{HOST}:{server.http_port}/ch/c1.m3u8?txSecret=")

    # Push to the returned URL with ffmpeg; the returned FLV URL plays it.
    proc = clients.run(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re", "-stream_loop",
                        "-1", "-i", testmedia.media_path("av.flv"), "-c", "copy", "-f", "flv",
                        push], what="publish")
    flv_path = flv_url.split(f":{server.http_port}", 1)[1]
    deadline = time.monotonic() + 15
    while http_get(server.http_port, flv_path)[0] != 200:
        assert time.monotonic() < deadline, f"channel never went live\n{proc.output()[-2000:]}"
        time.sleep(0.2)
    assert http_get(server.http_port, "/ch/c1.flv")[0] == 403  # play auth applies

    status, answer = call(server, "POST", "/api/v1/apps/ch/channels", {"id": "c1"})
    assert status == 409
    data(server, "POST", "/api/v1/apps/ch/channels", {"id": "c2"})
    status, answer = call(server, "POST", "/api/v1/apps/ch/channels", {"id": "c3"})
    assert status == 409 and "max_channels" in answer["message"], answer
    assert [c["id"] for c in data(server, "GET", "/api/v1/apps/ch/channels")] == ["c1", "c2"]
    one = data(server, "GET", "/api/v1/apps/ch/channels/c1")
    assert one["online"] is True
    assert call(server, "GET", "/api/v1/apps/ch/channels/zz")[0] == 404
    assert call(server, "POST", "/api/v1/apps/nope/channels", {"id": "a"})[0] == 404
    assert call(server, "POST", "/api/v1/apps/ch/channels", {"id": "../x"})[0] == 400
    # A deleted channel frees its quota slot and may no longer publish.
    assert data(server, "DELETE", "/api/v1/apps/ch/channels/c2")["deleted"] is True
    assert call(server, "GET", "/api/v1/apps/ch/channels/c2")[0] == 404
    assert publish_code(server, "c2" + valid("chkey", "c2"), app="ch") == ("status", "NetStream.Publish.Rejected")
    data(server, "POST", "/api/v1/apps/ch/channels", {"id": "c3"})
    assert publish_code(server, "c3" + valid("chkey", "c3"), app="ch") == ("status", "NetStream.Publish.Start")

    # Channels survive a restart.
    proc.cleanup()
    assert server.stop() == 0
    server.start()
    wait_api(server)
    assert [c["id"] for c in data(server, "GET", "/api/v1/apps/ch/channels")] == ["c1", "c3"]
    assert publish_code(server, "c1" + valid("chkey", "c1"), app="ch") == ("status", "NetStream.Publish.Start")


def test_a_bad_host_header_is_refused_and_never_reaches_a_url(server):
    """Channel URLs are built from the Host header: only host[:port] may go into them."""
    import http.client
    wait_api(server)

    def post_channel(host, stream):
        conn = http.client.HTTPConnection(HOST, server.api_port, timeout=10)
        try:
            conn.putrequest("POST", "/api/v1/apps/live/channels", skip_host=True)
            conn.putheader("Host", host)
            conn.putheader("Authorization", "Bearer t")
            body = ('{"id":"%s"}' % stream).encode()
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, resp.read().decode()
        finally:
            conn.close()

    for i, bad in enumerate(["evil.example/x?", "evil.example:80/x", "a b", "user@evil.example", "[::1"]):
        status, text = post_channel(bad, f"bad{i}")
        assert status == 400 and "bad Host header" in text, (bad, status, text)
        assert "evil" not in text
    status, text = post_channel("media.example.com:8090", "good")
    assert status == 200, text
    assert f'"flv":"http://media.example.com:{server.http_port}/live/good.flv"' in text, text
    status, text = post_channel("[::1]:8090", "good6")
    assert status == 200 and f"rtmp://[::1]:{server.rtmp_port}/live/good6" in text, text


APPS_CONFIG = {"apps": {"studio": {"mode": "channel", "max_channels": 3,
                                   "push_auth": {"key": "pushsecret", "backup_key": "pushbackupsecret"},
                                   "play_auth": {"key": "playsecret"},
                                   "hls": {"fragment": 1, "window": 4},
                                   "record": {"enabled": True, "format": "flv"},
                                   "notify": {"url": "http://127.0.0.1:9/cb", "key": "notifysecret"},
                                   "player_page": False}}}


def test_apps_list_says_whether_auth_is_on_and_never_shows_keys(servers):
    server = servers.start(APPS_CONFIG)
    wait_api(server)
    status, answer = call(server, "GET", "/api/v1/apps")
    assert status == 200 and answer["code"] == 0, answer
    apps = answer["data"]
    assert [a["name"] for a in apps] == ["live", "studio"]
    live, studio = apps
    assert studio == {"name": "studio", "mode": "channel", "max_channels": 3, "push_auth": True, "play_auth": True,
                      "outputs": {"gop_cache": True, "flv": True,
                                  "hls": {"enabled": True, "fragment": 1, "window": 4},
                                  "record": {"enabled": True, "format": "flv"}},
                      "player_page": False}, studio
    assert live["mode"] == "code" and live["push_auth"] is False and live["play_auth"] is False, live
    assert live["outputs"]["record"]["enabled"] is False and live["player_page"] is True, live
    assert "secret" not in json.dumps(answer), answer
    assert call(server, "GET", "/api/v1/apps", token=None)[0] == 401


def stream_states(server, query):
    """{"app/stream": (online, status)} of GET /api/v1/streams?QUERY, in the order listed."""
    listed = data(server, "GET", "/api/v1/streams" + query)
    return {f"{s['app']}/{s['stream']}": (s["online"], s["status"]) for s in listed}


def test_stream_list_states_show_offline_and_disabled_streams(server, clients):
    clients.publish(server, "a")
    gone = clients.publish(server, "b")
    wait_live(server, "a")
    wait_live(server, "b")
    gone.cleanup()  # b's publisher stops: b is offline but known
    wait_offline(server, "b")
    data(server, "PUT", "/api/v1/streams/live/never/status", {"status": "disabled"})  # never published

    assert stream_states(server, "") == {"live/a": (True, "enabled")}
    assert stream_states(server, "?state=live") == {"live/a": (True, "enabled")}
    assert list(stream_states(server, "?state=all").items()) == [
        ("live/a", (True, "enabled")), ("live/b", (False, "enabled")), ("live/never", (False, "disabled"))]
    offline = [s for s in data(server, "GET", "/api/v1/streams?state=all") if s["stream"] == "b"][0]
    assert offline == data(server, "GET", "/api/v1/streams/live/b"), offline  # the detail's shape
    assert offline["publisher"] is None and offline["players"] == {"rtmp": 0, "flv": 0, "hls": 0}
    assert stream_states(server, "?state=disabled") == {"live/never": (False, "disabled")}
    assert list(stream_states(server, "?state=all&limit=1")) == ["live/a"]
    assert stream_states(server, "?state=all&app=other") == {}

    # Disabling a live stream cuts it; it stays listed, as disabled.
    data(server, "PUT", "/api/v1/streams/live/a/status", {"status": "disabled"})
    wait_offline(server, "a")
    assert stream_states(server, "?state=disabled") == {"live/a": (False, "disabled"),
                                                        "live/never": (False, "disabled")}
    assert stream_states(server, "?state=all")["live/a"] == (False, "disabled")
    assert stream_states(server, "") == {}

    for bad in ("?state=offline", "?state=", "?limit=0", "?limit=100000", "?limit=ten"):
        status, answer = call(server, "GET", "/api/v1/streams" + bad)
        assert status == 400 and answer["code"] != 0 and answer["message"], (bad, status, answer)
    status, answer = call(server, "GET", "/api/v1/streams?state=nope")
    assert "state must be live, all or disabled" in answer["message"], answer


def test_console_files_answer_head_like_get(server):
    wait_api(server)
    for path in ("/console/", "/console/console.js", "/console/media.json"):
        _, got, _ = http_get(server.api_port, path)
        conn = http.client.HTTPConnection(HOST, server.api_port, timeout=10)
        try:
            conn.request("HEAD", path)
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 200, (path, resp.status)
            assert body == b""
            assert int(resp.getheader("Content-Length")) == int(got["content-length"]) > 0, path
            assert resp.getheader("Content-Type") == got["content-type"], path
        finally:
            conn.close()
    # One connection: every HEAD answer is headers only, or the next answer would be misread.
    conn = http.client.HTTPConnection(HOST, server.api_port, timeout=10)
    try:
        for path, expected in (("/console/missing.js", 404), ("/api/v1/stats", 401), ("/console/", 200)):
            conn.request("HEAD", path)  # the API itself still needs the token
            resp = conn.getresponse()
            assert (resp.status, resp.read()) == (expected, b""), path
    finally:
        conn.close()
