"""Push and play auth (txSecret/txTime), names, and SIGHUP key changes (PRODUCT.md sections 2-3),
with real ffmpeg publishers and raw RTMP for the exact onStatus codes."""
import http.client
import signal
import time

import pytest

from apiclient import sign, valid
from harness import HOST, http_get, wait_live
from rtmpraw import RtmpClient, rtmp_status

PUSH_KEY, BACKUP_KEY, PLAY_KEY = "pushkey0123", "backupkey456", "playkey789"
REFUSE_TIMEOUT = 15

AUTH_CONFIG = {"apps": {
    "live": {"push_auth": {"key": PUSH_KEY, "backup_key": BACKUP_KEY}},
    "secure": {"play_auth": {"key": PLAY_KEY}},
}}


@pytest.fixture
def auth_server(servers):
    return servers.start(AUTH_CONFIG)


def status_code(server, stream, action, app="live"):
    how, info = rtmp_status(HOST, server.rtmp_port, app, stream, action)
    return how, (info or {}).get("code")


def assert_ffmpeg_refused(clients, server, stream, query):
    proc = clients.publish(server, stream, query=query)
    rc = proc.wait(REFUSE_TIMEOUT)
    assert rc != 0, f"ffmpeg publish with query {query!r} exited 0\n{proc.output()[-2000:]}"
    assert http_get(server.http_port, f"/live/{stream}.flv")[0] == 404


def expired(key, stream):
    return sign(key, stream, int(time.time()) - 10)


@pytest.mark.parametrize("case", ["none", "wrong_secret", "expired", "bad_time", "other_stream"])
def test_push_refusals_raw(auth_server, case):
    query = {
        "none": "",
        "wrong_secret": "?txSecret=0123456789abcdef0123456789abcdef&txTime=7FFFFFFF",
        "expired": expired(PUSH_KEY, "s"),
        "bad_time": "?txSecret=0123456789abcdef0123456789abcdef&txTime=zzzz",
        "other_stream": valid(PUSH_KEY, "other"),
    }[case]
    assert status_code(auth_server, "s" + query, "publish") == ("status", "NetStream.Publish.Rejected")


@pytest.mark.parametrize("case", ["none", "wrong_secret", "expired"])
def test_push_refusals_ffmpeg(auth_server, clients, case):
    query = {
        "none": "",
        "wrong_secret": "?txSecret=0123456789abcdef0123456789abcdef&txTime=7FFFFFFF",
        "expired": expired(PUSH_KEY, "s"),
    }[case]
    assert_ffmpeg_refused(clients, auth_server, "s", query)


def test_bad_names_refused_with_auth(auth_server):
    assert status_code(auth_server, "a b" + valid(PUSH_KEY, "a b"), "publish") == \
        ("status", "NetStream.Publish.BadName")
    assert status_code(auth_server, ".." + valid(PUSH_KEY, ".."), "publish") == \
        ("status", "NetStream.Publish.BadName")


@pytest.mark.parametrize("key,lower", [(PUSH_KEY, False), (BACKUP_KEY, False), (PUSH_KEY, True)])
def test_valid_keys_accepted_raw(auth_server, key, lower):
    assert status_code(auth_server, "s" + valid(key, "s", lower_time=lower), "publish") == \
        ("status", "NetStream.Publish.Start")


def test_ffmpeg_publishes_with_key_backup_key_and_random(auth_server, clients):
    a = clients.publish(auth_server, "a", query=valid(PUSH_KEY, "a") + "&random=1234567")
    b = clients.publish(auth_server, "b", query=valid(BACKUP_KEY, "b", lower_time=True))
    wait_live(auth_server, "a")
    wait_live(auth_server, "b")
    assert a.poll() is None and b.poll() is None


def test_query_on_tcurl_app_part(auth_server):
    """OBS puts the query in its "server" field: it rides on the app of connect and tcUrl."""
    query = valid(PUSH_KEY, "obs")
    c = RtmpClient(HOST, auth_server.rtmp_port)
    try:
        reply = c.connect("live" + query, f"rtmp://{HOST}:{auth_server.rtmp_port}/live{query}")
        assert reply[0] == "_result", reply
        sid = int(c.create_stream()[3])
        info = c.status_after("publish", "obs", "live", stream_id=sid)
        assert info["code"] == "NetStream.Publish.Start", info
    finally:
        c.close()


def test_play_auth_on_rtmp_flv_and_hls(auth_server, clients):
    clients.publish(auth_server, "p", app="secure")
    good = valid(PLAY_KEY, "p")
    deadline = time.monotonic() + 15
    while http_get(auth_server.http_port, "/secure/p.flv" + good)[0] != 200:
        assert time.monotonic() < deadline, "secure/p never went live"
        time.sleep(0.2)
    # HTTP-FLV: 403 without or with a wrong signature, 200 with a good one.
    assert http_get(auth_server.http_port, "/secure/p.flv")[0] == 403
    assert http_get(auth_server.http_port, "/secure/p.flv" + expired(PLAY_KEY, "p"))[0] == 403
    assert http_get(auth_server.http_port, "/secure/p.flv" + valid(PUSH_KEY, "p"))[0] == 403
    # RTMP.
    assert status_code(auth_server, "p", "play", app="secure") == ("status", "NetStream.Play.Rejected")
    how, code = status_code(auth_server, "p" + good, "play", app="secure")
    assert how == "status" and code in ("NetStream.Play.Reset", "NetStream.Play.Start"), code
    # HLS: the playlist needs the signature and carries it on to its segments.
    assert http_get(auth_server.http_port, "/secure/p.m3u8")[0] == 403
    deadline = time.monotonic() + 20
    while True:
        status, _, body = http_get(auth_server.http_port, "/secure/p.m3u8" + good, read_body=False)
        if status == 200:
            break
        assert time.monotonic() < deadline, f"signed HLS playlist never served (last {status})"
        time.sleep(0.5)
    conn = http.client.HTTPConnection(HOST, auth_server.http_port, timeout=5)
    conn.request("GET", "/secure/p.m3u8" + good)
    playlist = conn.getresponse().read().decode()
    conn.close()
    segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    assert segments, playlist
    assert "txSecret=" in segments[-1], f"segment URL does not carry the auth on: {segments[-1]}"
    assert http_get(auth_server.http_port, "/secure/" + segments[-1], read_body=False)[0] == 200
    bare = segments[-1].split("?")[0]
    assert http_get(auth_server.http_port, "/secure/" + bare)[0] == 403


def test_sighup_applies_new_keys_to_new_sessions_only(servers, clients):
    server = servers.start()
    live = clients.publish(server, "old")
    wait_live(server, "old")
    config = dict(server.config)
    config["apps"] = {"live": {"push_auth": {"key": PUSH_KEY}}}
    server.write_config(config)
    server.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while status_code(server, "new", "publish") != ("status", "NetStream.Publish.Rejected"):
        assert time.monotonic() < deadline, "the new push key was not applied after SIGHUP"
        time.sleep(0.3)
    assert status_code(server, "new" + valid(PUSH_KEY, "new"), "publish") == ("status", "NetStream.Publish.Start")
    assert live.poll() is None, "the live publisher was cut by the reload"
    assert http_get(server.http_port, "/live/old.flv")[0] == 200
