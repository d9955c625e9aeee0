"""Limits against bad clients (PRODUCT.md section 8): each limit refuses or cuts the
misbehaving peer with a log line naming it and a liveorigin_refusals_total{reason} count, while a
normal ffmpeg publish + player beside it keeps working and the server's RSS stays bounded.

Garbage on the RTMP and HTTP ports, handshake-then-garbage and abandoned connections are in
test_robustness.py; this file adds the API port and one test per limit."""
import http.client
import os
import random
import re
import resource
import socket
import struct
import time

import apiclient
from flvstream import FlvClient
from harness import HOST, http_get, memory_mib, wait_live
from rtmpraw import RtmpClient, handshake, rtmp_status, wait_closed
from test_robustness import assert_rejected, garbage, healthy_stream, http_reaction, send_ignoring_close, \
    still_healthy

CLOSE_TIMEOUT = 20


# ---------------------------------------------------------------- helpers

def refusals(server):
    """{reason: count} from /metrics."""
    status, text = apiclient.call(server, "GET", "/metrics")
    assert status == 200, text
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r'^liveorigin_refusals_total\{reason="([a-z_]+)"\} (\d+)$', text, re.M)}


def wait_refusal(server, reason, at_least=1, timeout=CLOSE_TIMEOUT):
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = refusals(server).get(reason, 0)
        if got >= at_least:
            return got
        time.sleep(0.2)
    raise AssertionError(f"liveorigin_refusals_total{{reason={reason!r}}} is {got}, expected >= {at_least}\n"
                         f"{server.log_tail()}")


def assert_logged(server, reason):
    assert f"({reason})" in server.log_text(), f"no log line names the reason {reason}\n{server.log_tail()}"


def chunk(csid, msg_type, payload, stream_id=0, timestamp=0, length=None):
    """One fmt-0 chunk: header plus PAYLOAD as it is (the caller splits by chunk size)."""
    length = len(payload) if length is None else length
    return bytes([csid]) + timestamp.to_bytes(3, "big") + length.to_bytes(3, "big") + bytes([msg_type]) \
        + struct.pack("<I", stream_id) + payload


def set_chunk_size(size):
    return chunk(2, 1, struct.pack(">I", size))


def raw_rtmp(server):
    s = socket.create_connection((HOST, server.rtmp_port), timeout=10)
    handshake(s)
    return s


def plays(server, stream):
    how, info = rtmp_status(HOST, server.rtmp_port, "live", stream, "play")
    return how == "status" and info["code"] in ("NetStream.Play.Reset", "NetStream.Play.Start")


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---------------------------------------------------------------- bad bytes

def test_random_bytes_to_api_port(server, clients):
    player = healthy_stream(server, clients)
    for seed in (31, 32, 33, 34):
        assert_rejected(http_reaction(server.api_port, garbage(seed)), f"64 KiB random #{seed} to the API")
    assert_rejected(http_reaction(server.api_port, b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 100000 + b"\r\n\r\n"),
                    "huge API header")
    status, _ = apiclient.call(server, "GET", "/api/v1/streams")
    assert status == 200
    assert refusals(server)["max_http_header"] >= 1
    assert_logged(server, "max_http_header")
    still_healthy(server, clients, player, "after")


def test_huge_message_claims_again_and_again(servers, clients):
    """16 MiB claimed over and over: on one connection (each claim drops the last), and on many
    connections at once, each sending a few MiB of it; memory follows what was sent, not claimed."""
    server = servers.start({"limits": {"max_connections_per_ip": 5000}})
    player = healthy_stream(server, clients)
    base = memory_mib(server)
    # One connection: a new fmt-0 header on the same chunk stream every 128 bytes.
    s = raw_rtmp(server)
    claim = chunk(3, 9, b"\x17" * 128, stream_id=1, length=16 * 1024 * 1024 - 1)
    try:
        for _ in range(4000):
            s.sendall(claim)
    except OSError:
        pass
    s.close()
    # 16 connections, each: chunk size 16 MiB, then 16 MiB claimed and 3 MiB sent.
    socks = []
    for i in range(16):
        c = raw_rtmp(server)
        send_ignoring_close(c, set_chunk_size(16 * 1024 * 1024)
                            + chunk(3, 9, random.Random(i).randbytes(3 << 20), stream_id=1, length=(16 << 20) - 1))
        socks.append(c)
    time.sleep(1)
    peak = memory_mib(server)
    for c in socks:
        c.close()
    assert server.alive()
    assert peak - base < 16 * 3 + 150, f"RSS grew {peak - base:.0f} MiB for 48 MiB of partial messages"
    still_healthy(server, clients, player, "after")


def test_message_and_chunk_size_limits(servers, clients):
    server = servers.start({"limits": {"max_message_size": 1 << 20, "max_publisher_pending": 1 << 20,
                                       "max_chunk_streams": 16}})
    player = healthy_stream(server, clients)
    cases = [
        ("max_chunk_size", set_chunk_size(0)),
        ("max_chunk_size", set_chunk_size(0x7FFFFFFF)),
        ("max_message_size", chunk(3, 9, b"\x17" * 100, length=16 * 1024 * 1024 - 1)),
        # Two partial messages of 0.9 MiB each: each under max_message_size, together over the
        # publisher's pending-bytes limit.
        ("max_publisher_pending", set_chunk_size(900 << 10) + chunk(4, 9, bytes(900 << 10), length=1000 << 10)
         + chunk(5, 8, bytes(900 << 10), length=1000 << 10)),
        # 40 chunk streams (ids 3..42, one-byte basic headers) with one small message each.
        ("max_chunk_streams", b"".join(chunk(3 + i, 8, b"\xaf") for i in range(40))),
    ]
    for reason, data in cases:
        s = raw_rtmp(server)
        send_ignoring_close(s, data)
        assert wait_closed(s, CLOSE_TIMEOUT), f"{reason}: connection left open"
        s.close()
        wait_refusal(server, reason)
        assert_logged(server, reason)
    assert refusals(server)["max_chunk_size"] >= 2
    still_healthy(server, clients, player, "after")


# ---------------------------------------------------------------- connections

def test_thousands_of_idle_connections(servers, clients):
    """2000 connections that never send a byte: held without harm, then cut by handshake_timeout."""
    n = 2000
    if raise_fd_limit(n + 500) < n + 200:
        import pytest
        pytest.skip("file descriptor limit too low for 2000 connections")
    server = servers.start({"limits": {"handshake_timeout": 4, "max_connections_per_ip": 5000}})
    player = healthy_stream(server, clients)
    base = memory_mib(server)
    socks = []
    try:
        for i in range(n):
            port = server.rtmp_port if i % 2 else server.http_port
            socks.append(socket.create_connection((HOST, port), timeout=10))
        tags, eof = player.read_tags_for(1)
        assert tags and not eof, "the player starved while 2000 connections opened"
        peak = memory_mib(server)
        assert peak - base < 400, f"RSS grew {peak - base:.0f} MiB for {n} idle connections"
        # All of them are cut once handshake_timeout has passed.
        deadline = time.monotonic() + 30
        open_ = list(socks)
        while open_ and time.monotonic() < deadline:
            open_ = [s for s in open_ if not wait_closed(s, 0.01)]
            time.sleep(0.5)
        assert not open_, f"{len(open_)} idle connections still open after handshake_timeout"
    finally:
        for s in socks:
            s.close()
    assert refusals(server)["handshake_timeout"] >= n * 0.9
    assert_logged(server, "handshake_timeout")
    still_healthy(server, clients, player, "after")


def hold_connections(port, count, attempts=5):
    """COUNT connections to PORT that the server keeps. A connection the test closed just before
    counts on the server until the server has read its end, so a place can still be taken for a
    moment: if one of ours is refused, close them all and try again."""
    for _ in range(attempts):
        held = [socket.create_connection((HOST, port), timeout=5) for _ in range(count)]
        time.sleep(0.3)
        if not any(wait_closed(s, 0.01) for s in held):
            return held
        for s in held:
            s.close()
        time.sleep(0.5)
    raise AssertionError(f"the server did not keep {count} connections on port {port}")


def refused_past(server, held_count, port, reason):
    """With HELD_COUNT RTMP connections open, one more on PORT is closed at once for REASON."""
    held = hold_connections(server.rtmp_port, held_count)
    try:
        extra = socket.create_connection((HOST, port), timeout=5)
        assert wait_closed(extra, 5), f"a connection past {reason} was kept"
        extra.close()
        wait_refusal(server, reason)
        assert_logged(server, reason)
    finally:
        for s in held:
            s.close()


def test_connection_limits(servers, clients):
    server = servers.start({"limits": {"max_connections_per_ip": 6}})
    clients.publish(server, "ok")
    wait_live(server, "ok")
    refused_past(server, 5, server.http_port, "max_connections_per_ip")
    time.sleep(0.5)
    assert plays(server, "ok")

    server2 = servers.start({"limits": {"max_connections": 3}})
    refused_past(server2, 3, server2.rtmp_port, "max_connections")


def test_rtmp_connection_that_neither_publishes_nor_plays(servers, clients):
    """Connected and then nothing: cut after handshake_timeout, while an RTMP publisher and player
    beside it go on. A publish without a stream name (an empty OBS stream key) is refused and
    closed at once, with a log line saying so."""
    server = servers.start({"limits": {"handshake_timeout": 2}})
    flv_player = healthy_stream(server, clients)
    rtmp_player = clients.rtmp_player(server, "ok")
    idle = RtmpClient(HOST, server.rtmp_port)
    nameless = RtmpClient(HOST, server.rtmp_port)
    try:
        tc_url = f"rtmp://{HOST}:{server.rtmp_port}/live"
        assert idle.connect("live", tc_url)[0] == "_result"
        assert nameless.connect("live", tc_url)[0] == "_result"
        sid = int(nameless.create_stream()[3])
        info = nameless.status_after("publish", "", "live", stream_id=sid)
        assert info["code"] == "NetStream.Publish.BadName", info
        started = time.monotonic()
        assert wait_closed(nameless.sock, 3), "a connection refused a publish was kept"
        assert wait_closed(idle.sock, 10), "a connection that never published or played was kept"
        assert time.monotonic() - started < 8
    finally:
        idle.close()
        nameless.close()
    assert "neither publishing nor playing" in server.log_text(), server.log_tail()
    assert "refused: no stream name" in server.log_text(), server.log_tail()
    wait_refusal(server, "handshake_timeout", 1)
    time.sleep(1)
    assert rtmp_player.poll() is None, f"the RTMP player was cut:\n{rtmp_player.output()[-2000:]}"
    still_healthy(server, clients, flv_player, "after")


def test_slowloris_http(servers, clients):
    """Clients that send a request one byte at a time are cut after handshake_timeout."""
    server = servers.start({"limits": {"handshake_timeout": 2}})
    player = healthy_stream(server, clients)
    request = b"GET /live/ok.flv HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 100
    socks = [socket.create_connection((HOST, server.http_port), timeout=5) for _ in range(50)]
    started = time.monotonic()
    closed_after = None
    for i in range(len(request)):
        for s in list(socks):
            try:
                s.sendall(request[i:i + 1])
            except OSError:
                socks.remove(s)
        if not socks:
            closed_after = time.monotonic() - started
            break
        time.sleep(0.2)
    for s in socks:
        s.close()
    assert closed_after is not None and closed_after < 10, "slowloris clients were not cut"
    wait_refusal(server, "handshake_timeout", 50)
    assert_logged(server, "handshake_timeout")
    still_healthy(server, clients, player, "after")


def test_player_that_never_reads(servers, clients):
    """HTTP-FLV and RTMP players that stop reading are cut after idle_timeout."""
    server = servers.start({"limits": {"idle_timeout": 2, "player_queue": 1}})
    clients.publish(server, "ok")
    wait_live(server, "ok")
    player = clients.rtmp_player(server, "ok")  # reads all along: must not be cut
    base = memory_mib(server)
    stuck = []
    for _ in range(5):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect((HOST, server.http_port))
        s.sendall(b"GET /live/ok.flv HTTP/1.1\r\nHost: x\r\n\r\n")
        stuck.append(s)
    rtmp = RtmpClient(HOST, server.rtmp_port)
    rtmp.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    rtmp.connect("live", f"rtmp://{HOST}:{server.rtmp_port}/live")
    rtmp.create_stream()
    rtmp.send_command("play", 0, None, "ok", stream_id=1)
    stuck.append(rtmp.sock)
    try:
        wait_refusal(server, "idle_timeout", len(stuck), timeout=60)
        assert_logged(server, "idle_timeout")
        assert memory_mib(server) - base < 150
        assert player.poll() is None, f"the reading ffmpeg player ended too:\n{player.output()[-2000:]}"
    finally:
        for s in stuck:
            s.close()
    assert plays(server, "ok")


def skips(tags):
    """Indexes (in the list of video frames) where a player's video jumps ahead by more than 1 s."""
    video = [t for t in tags if t is not None and t.is_video and not t.is_avc_sequence_header]
    return [i for i in range(1, len(video)) if video[i].timestamp - video[i - 1].timestamp > 1000]


def test_slow_player_skips_to_the_next_key_frame(servers, clients):
    """A player that reads, but slower than the stream, skips to the next key frame once
    limits.player_queue of media waits for it (PRODUCT.md 4): its video resumes on a key frame with
    nothing undecodable in between, the server says so in its log, and the ffmpeg player beside it
    is unaffected."""
    server = servers.start({"limits": {"player_queue": 1, "idle_timeout": 60}})
    clients.publish(server, "ok")
    wait_live(server, "ok")
    player = clients.rtmp_player(server, "ok")
    slow = FlvClient(HOST, server.http_port, "/live/ok.flv", timeout=20)
    # A small window so the backlog reaches the server soon, not so small that reading at full
    # speed later is slower than the stream.
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    tags = []
    try:
        # About 10 tags per second against the stream's ~68: the backlog grows until it is cut.
        # Its own skip: on a loaded machine the ffmpeg player may be skipped too, on its join burst.
        own_skip = f"http {HOST}:{slow.sock.getsockname()[1]} live/ok: player too slow"
        deadline = time.monotonic() + 90
        while own_skip not in server.log_text():
            assert time.monotonic() < deadline, f"the slow player was never skipped\n{server.log_tail()}"
            tags.append(slow.read_tag())
            time.sleep(0.1)
        # Then at full speed: through what the socket buffers still hold, to the skip.
        deadline = time.monotonic() + 60
        while not skips(tags) and time.monotonic() < deadline:
            tags.append(slow.read_tag())
    finally:
        slow.close()
    video = [t for t in tags if t is not None and t.is_video and not t.is_avc_sequence_header]
    gaps = skips(tags)
    assert gaps, f"no skip in the slow player's stream ({len(video)} video tags, up to " \
                 f"{video[-1].timestamp if video else None} ms)"
    for i in gaps:
        assert video[i].is_keyframe, f"video resumed on a non-key frame at {video[i].timestamp} ms"
    assert player.poll() is None, f"the reading ffmpeg player ended too:\n{player.output()[-2000:]}"
    assert plays(server, "ok")


def test_vod_download_that_never_reads(servers):
    """Answers other than the live stream (here a recording from /vod) are cut after idle_timeout
    once the client stops reading; a client that reads still gets the whole file."""
    server = servers.start({"limits": {"idle_timeout": 2}})
    folder = os.path.join(server.data_dir, "vod", "live", "big")
    os.makedirs(folder, exist_ok=True)
    name = "big_20260101-000000.flv"  # served as it is: the content need not be FLV
    data = random.Random(5).randbytes(16 << 20)  # far more than the socket buffers hold
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)
    url = f"/vod/live/big/{name}"
    stuck = []
    try:
        for _ in range(3):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(10)
            s.connect((HOST, server.http_port))
            s.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            stuck.append(s)
        wait_refusal(server, "idle_timeout", len(stuck), timeout=30)
        cuts = re.findall(r"http 127\.0\.0\.1:\d+: peer read nothing for 2 s, cutting it \(idle_timeout\)",
                          server.log_text())
        assert len(cuts) == len(stuck), f"expected {len(stuck)} cut lines naming the peer\n{server.log_tail()}"
        for s in stuck:
            assert wait_closed(s, 10), "a VOD download that never read was left open"
    finally:
        for s in stuck:
            s.close()
    conn = http.client.HTTPConnection(HOST, server.http_port, timeout=30)
    try:
        conn.request("GET", url)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == data
    finally:
        conn.close()
    assert refusals(server)["idle_timeout"] == len(stuck)


# ---------------------------------------------------------------- streams and API

def test_max_streams(servers, clients):
    server = servers.start({"limits": {"max_streams": 2}})
    for name in ("a", "b"):
        clients.publish(server, name)
        wait_live(server, name)
    kind, info = rtmp_status(HOST, server.rtmp_port, "live", "c", "publish")
    assert kind in ("status", "closed"), (kind, info)
    if kind == "status":
        assert info["code"] == "NetStream.Publish.Rejected", info
    wait_refusal(server, "max_streams")
    assert_logged(server, "max_streams")
    # The two live streams still play.
    assert plays(server, "a")


def test_api_request_rate(servers):
    server = servers.start({"limits": {"api_rate": 5}})
    codes = [apiclient.call(server, "GET", "/healthz")[0] for _ in range(40)]
    assert 429 in codes, codes
    assert codes[:5] == [200] * 5, codes  # the burst is twice the rate
    time.sleep(1.5)
    assert apiclient.call(server, "GET", "/healthz")[0] == 200
    assert refusals(server)["api_rate"] >= 1
    assert_logged(server, "api_rate")


def api_answers(server, timeout=10.0):
    """True once /healthz answers 200 (within TIMEOUT s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if apiclient.call(server, "GET", "/healthz", token=None, timeout=2)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def api_refused_past(server, held_count, reason):
    """With HELD_COUNT idle API connections open, one more is closed at once for REASON, and the
    media port still answers (API connections are counted apart); once they close, the API
    answers again."""
    held = hold_connections(server.api_port, held_count)
    try:
        extra = socket.create_connection((HOST, server.api_port), timeout=5)
        assert wait_closed(extra, 5), f"an API connection past {reason} was kept"
        extra.close()
        assert http_get(server.http_port, "/live/none.flv")[0] == 404, "the media port refused too"
    finally:
        for s in held:
            s.close()
    assert api_answers(server), f"the API does not answer once its connections closed\n{server.log_tail()}"
    assert refusals(server)[reason] >= 1
    assert re.search(rf"api: refused 127\.0\.0\.1:\d+: .*\({reason}\)", server.log_text()), server.log_tail()


def test_api_connection_limits(servers):
    server = servers.start({"limits": {"max_connections_per_ip": 3}})
    assert api_answers(server)
    api_refused_past(server, 3, "max_connections_per_ip")

    server2 = servers.start({"limits": {"max_connections": 2}})
    assert api_answers(server2)
    api_refused_past(server2, 2, "max_connections")
