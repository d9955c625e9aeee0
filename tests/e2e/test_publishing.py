"""Publishing rules and stream lifecycle: one publisher per stream, refused names and apps, what
players see when the publisher goes away or goes quiet (PRODUCT.md sections 2-4)."""
import signal
import subprocess
import threading
import time

import pytest

import testmedia
from flvstream import file_prefix_until
from rtmpraw import rtmp_status
from harness import HOST, FFMPEG, ffprobe, flv_status, http_get, read_until_eof, wait_live, wait_offline

REFUSE_TIMEOUT = 15  # a refused ffmpeg publisher must have exited by then


def test_second_publisher_is_refused_first_untouched(server, clients):
    first = clients.publish(server, "s")
    wait_live(server, "s")
    player = clients.flv(server, "s")
    assert player.status == 200
    tags, eof = player.read_tags_for(1)
    assert tags and not eof

    how, info = rtmp_status(HOST, server.rtmp_port, "live", "s", "publish")
    assert (how, (info or {}).get("code")) == ("status", "NetStream.Publish.BadName"), \
        f"second publish to a live stream answered {how} {info}"

    second = clients.publish(server, "s")
    deadline = time.monotonic() + REFUSE_TIMEOUT
    during = 0
    while second.poll() is None and time.monotonic() < deadline:
        tag = player.read_tag(timeout=5)
        assert tag is not None, "the first stream's player was cut by the second publish attempt"
        during += 1
    assert second.poll() is not None, (f"second publisher still running after {REFUSE_TIMEOUT}s: "
                                       f"the publish was not refused\n{second.output()[-2000:]}")
    assert second.poll() != 0, f"second publisher exited 0\n{second.output()[-2000:]}"

    after, eof = player.read_tags_for(3)
    assert not eof, "the first stream's player was cut after the refused publish"
    assert len(after) > 10, f"player got only {len(after)} tags in the 3 s after the refusal"
    assert first.poll() is None, f"the first publisher was disconnected\n{first.output()[-2000:]}"
    assert flv_status(server, "s") == 200


def test_offline_and_unknown_streams(server):
    assert flv_status(server, "never") == 404
    how, info = rtmp_status(HOST, server.rtmp_port, "live", "never", "play")
    assert (how, (info or {}).get("code")) == ("status", "NetStream.Play.StreamNotFound"), \
        f"RTMP play of an offline stream answered {how} {info}"
    start = time.monotonic()
    rc, probe, err = ffprobe(server.rtmp_url("never"), timeout=25, rw_timeout=20)
    took = time.monotonic() - start
    assert rc != 0, f"ffprobe of an offline stream succeeded: {probe}"
    # play_wait is 0: the server answers StreamNotFound at once instead of leaving the player hanging.
    assert took < 15, f"RTMP play of an offline stream took {took:.1f}s to fail (server did not answer?)"


def refused(how, info):
    """True unless the server answered a publish/play with a success status."""
    return not (how == "status" and (info or {}).get("level") == "status")


def test_unknown_app_is_refused(server, clients):
    for action in ("publish", "play"):
        how, info = rtmp_status(HOST, server.rtmp_port, "nope", "s", action)
        assert refused(how, info), f"{action} on app 'nope' (not in the config) answered {how} {info}"
    pub = clients.publish(server, "s", app="nope")
    rc = pub.wait(REFUSE_TIMEOUT)
    assert rc != 0, f"publish to an app not in the config was accepted\n{pub.output()[-2000:]}"
    assert flv_status(server, "s", app="nope") == 404
    rc, probe, err = ffprobe(server.rtmp_url("s", app="nope"), timeout=25, rw_timeout=20)
    assert rc != 0, f"RTMP play on an unknown app succeeded: {probe}"


@pytest.mark.parametrize("name", ["a%20b", "x" * 129, "..", "a$b"], ids=["space", "129chars", "dotdot", "dollar"])
def test_bad_stream_names_are_refused(server, clients, name):
    pub = clients.publish(server, name)
    rc = pub.wait(REFUSE_TIMEOUT)
    assert rc != 0, f"publish to live/{name} was accepted\n{pub.output()[-2000:]}"
    status = http_get(server.http_port, f"/live/{name}.flv")[0]
    assert status in (400, 404), f"GET /live/{name}.flv -> {status}"


@pytest.mark.parametrize("name", ["a b", "a%20b", "x" * 129, ".", "..", "", "a/b", "a\u00e9"],
                         ids=["space", "percent", "129chars", "dot", "dotdot", "empty", "slash", "nonascii"])
def test_bad_stream_names_raw_rtmp(server, name):
    """Names sent exactly as given (ffmpeg's URL handling out of the way)."""
    for action in ("publish", "play"):
        how, info = rtmp_status(HOST, server.rtmp_port, "live", name, action)
        if action == "play" and how == "status":
            assert info.get("code") != "NetStream.Play.Start", f"play of {name!r} answered {info}"
        else:
            assert refused(how, info), f"{action} of stream name {name!r} answered {how} {info}"


def test_name_of_128_chars_is_accepted(server, clients):
    name = "n" * 128
    how, info = rtmp_status(HOST, server.rtmp_port, "live", "m" * 128, "publish")
    assert (how, (info or {}).get("code")) == ("status", "NetStream.Publish.Start"), \
        f"publish of a 128-char name answered {how} {info}"
    clients.publish(server, name)
    wait_live(server, name)


def test_http_bad_paths_are_refused(server, clients):
    clients.publish(server, "s")
    wait_live(server, "s")
    for path in ("/live/.flv", "/live/..flv", "/live/...flv", "/live/%2e%2e.flv", "/%2e%2e/s.flv",
                 "/live/s.flv/x", "/live/s", "/nope/s.flv"):
        status = http_get(server.http_port, path)[0]
        assert status in (400, 404), f"GET {path} -> {status}"
    assert flv_status(server, "s") == 200


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_publisher_gone_ends_players(server, clients, sig):
    pub = clients.publish(server, "s")
    wait_live(server, "s")
    flv = clients.flv(server, "s")
    assert flv.status == 200
    tags, eof = flv.read_tags_for(1)
    assert tags and not eof
    rtmp = clients.rtmp_player(server, "s")
    time.sleep(2)
    assert rtmp.poll() is None, f"RTMP player ended early\n{rtmp.output()[-2000:]}"

    pub.signal(sig)
    pub.wait(10)
    read_until_eof(flv, timeout=10)
    wait_offline(server, "s", timeout=10)
    rtmp.wait(15)


def test_idle_publisher_is_cut(servers, clients):
    server = servers.start({"limits": {"publish_timeout": 2}})
    data = file_prefix_until(testmedia.media_path("av.flv"), 2000)
    cmd = [*FFMPEG, "-f", "flv", "-i", "pipe:0", "-c", "copy", "-f", "flv", server.rtmp_url("idle")]
    pub = clients.run(cmd, what="publish-pipe", stdin=subprocess.PIPE)

    def feed():
        try:
            pub.proc.stdin.write(data)
            pub.proc.stdin.flush()  # and keep the pipe open: ffmpeg now waits for more, sending nothing
        except (BrokenPipeError, ValueError):
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    writer.join(15)
    assert not writer.is_alive(), "ffmpeg did not take 2 s of media from its pipe within 15 s"
    fed_at = time.monotonic()
    wait_live(server, "idle", timeout=10)
    wait_offline(server, "idle", timeout=max(1.0, fed_at + 10 - time.monotonic()))
