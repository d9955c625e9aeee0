"""Live delivery: what RTMP and HTTP-FLV players see of an RTMP publish (PRODUCT.md sections 2-4)."""
import time

import pytest

from harness import Clients, ServerPool, ffmpeg_read, ffprobe, streams_by_type, wait_live


@pytest.fixture(scope="module")
def av_stream(liveorigin_bin, tmp_path_factory):
    """One server with av.flv published to live/s, shared by the read-only tests of this file."""
    pool = ServerPool(liveorigin_bin, lambda: tmp_path_factory.mktemp("srv"))
    clients = Clients(tmp_path_factory.mktemp("clients"))
    try:
        srv = pool.start()
        clients.publish(srv, "s", "av.flv")
        wait_live(srv, "s")
        yield srv
    finally:
        clients.cleanup()
        problems = pool.stop_all()
    assert not problems, "\n".join(problems)


def url_for(srv, proto, stream, query=""):
    return (srv.rtmp_url(stream) if proto == "rtmp" else srv.flv_url(stream)) + query


def media_streams(probe):
    """Audio and video streams by type. Data streams are checked on their own (test_no_data_stream)."""
    by = streams_by_type(probe)
    by.pop("data", None)
    return by


def assert_av(probe, where):
    by = media_streams(probe)
    assert set(by) == {"video", "audio"}, f"{where}: expected one video and one audio stream, got {probe}"
    assert len(by["video"]) == 1 and len(by["audio"]) == 1, f"{where}: {probe}"
    v, a = by["video"][0], by["audio"][0]
    assert v["codec_name"] == "h264", f"{where}: video {v}"
    assert (v["width"], v["height"]) == (640, 360), f"{where}: video {v}"
    assert a["codec_name"] == "aac", f"{where}: audio {a}"
    assert int(a["sample_rate"]) == 44100 and a["channels"] == 2, f"{where}: audio {a}"


@pytest.mark.parametrize("proto", ["rtmp", "flv"])
def test_players_see_h264_and_aac(av_stream, proto):
    url = url_for(av_stream, proto, "s")
    rc, probe, err = ffprobe(url)
    assert rc == 0, f"ffprobe {url} failed ({rc}): {err}"
    assert_av(probe, url)


def test_http_flv_response_and_tag_order(av_stream, clients):
    c = clients.flv(av_stream, "s")
    assert c.status == 200, f"GET {av_stream.flv_path('s')} -> {c.status} {c.reason}"
    ctype = c.headers.get("content-type", "")
    assert ctype.split(";")[0].strip().lower() == "video/x-flv", f"Content-Type {ctype!r}"
    assert c.headers.get("access-control-allow-origin") == "*", f"headers {c.headers}"

    hdr = c.read_flv_header()
    assert hdr["version"] == 1, hdr
    assert hdr["flags"] & 0x05 == 0x05, f"FLV header flags should announce audio and video: {hdr}"
    assert hdr["prev_tag_size0"] == 0, hdr

    tags = []
    deadline = time.monotonic() + 10
    seen_media = 0
    while seen_media < 30 and time.monotonic() < deadline:
        tag = c.read_tag(timeout=5)
        assert tag is not None, f"stream ended after {tags}"
        tags.append(tag)
        if (tag.is_video or tag.is_audio) and not tag.is_sequence_header:
            seen_media += 1
    assert seen_media >= 30, f"too few media tags in 10 s: {tags}"

    first_media = next(i for i, t in enumerate(tags)
                       if (t.is_video or t.is_audio) and not t.is_sequence_header)
    head = tags[:first_media]
    assert tags[0].is_script, f"first tag should be onMetaData script data, got {tags[:6]}"
    assert tags[0].body.startswith(b"\x02\x00\x0aonMetaData"), f"script tag body {tags[0].body!r}"
    assert any(t.is_avc_sequence_header for t in head), f"no AVC sequence header before media: {tags[:8]}"
    assert any(t.is_aac_sequence_header for t in head), f"no AAC sequence header before media: {tags[:8]}"

    videos = [t for t in tags[first_media:] if t.is_video and not t.is_sequence_header]
    assert videos, f"no video frames: {tags}"
    assert videos[0].is_keyframe, f"first video frame after the headers is not a keyframe: {tags[:10]}"
    # Timestamps of each track never go backwards (FLV players rely on it).
    for kind in ("is_video", "is_audio"):
        ts = [t.timestamp for t in tags[first_media:] if getattr(t, kind) and not t.is_sequence_header]
        assert ts == sorted(ts), f"{kind} timestamps go backwards: {ts}"


@pytest.mark.parametrize("proto", ["rtmp", "flv"])
def test_no_data_stream(av_stream, proto):
    """Players see the publisher's tracks and nothing else: no phantom 'data' stream, which a data
    message other than onMetaData (e.g. onStatus NetStream.Data.Start) makes FFmpeg create."""
    url = url_for(av_stream, proto, "s")
    rc, probe, err = ffprobe(url)
    assert rc == 0, f"ffprobe {url} failed ({rc}): {err}"
    extra = [s for s in probe["streams"] if s.get("codec_type") not in ("audio", "video")]
    assert not extra, f"{url}: streams besides audio and video: {extra}"


@pytest.mark.parametrize("proto", ["rtmp", "flv"])
def test_ffmpeg_reads_3_seconds(av_stream, proto):
    url = url_for(av_stream, proto, "s")
    rc, err = ffmpeg_read(url, seconds=3)
    assert rc == 0, f"ffmpeg -i {url} -t 3 failed ({rc}): {err}"


@pytest.mark.parametrize("media,kind", [("audio.flv", "audio"), ("video.flv", "video")])
def test_single_track_stream(server, clients, media, kind):
    clients.publish(server, "single", media)
    wait_live(server, "single")
    for proto in ("rtmp", "flv"):
        url = url_for(server, proto, "single")
        rc, probe, err = ffprobe(url)
        assert rc == 0, f"ffprobe {url} failed ({rc}): {err}"
        by = media_streams(probe)
        assert set(by) == {kind} and len(by[kind]) == 1, f"{url}: expected only {kind}, got {probe}"
        s = by[kind][0]
        if kind == "audio":
            assert s["codec_name"] == "aac" and int(s["sample_rate"]) == 44100 and s["channels"] == 2, s
        else:
            assert s["codec_name"] == "h264" and (s["width"], s["height"]) == (640, 360), s

    # Raw FLV: sequence header of the one track first, then media of that track only.
    c = clients.flv(server, "single")
    assert c.status == 200
    tags, eof = c.read_tags_for(3)
    assert not eof, f"stream ended: {tags}"
    media_tags = [t for t in tags if t.is_audio or t.is_video]
    assert media_tags, f"no media tags in 3 s: {tags}"
    wrong = [t for t in media_tags if (t.is_video if kind == "audio" else t.is_audio)]
    assert not wrong, f"{kind}-only stream carried other tags: {wrong[:5]}"
    first = media_tags[0]
    assert first.is_sequence_header, f"first {kind} tag is not the sequence header: {media_tags[:4]}"
    if kind == "video":
        frames = [t for t in media_tags if not t.is_sequence_header]
        assert frames and frames[0].is_keyframe, f"first video frame is not a keyframe: {media_tags[:4]}"


def test_late_joiner_starts_from_gop_cache(server, clients):
    """longgop.flv has a keyframe every 10 s: a player joining 3 s in must get the cached one."""
    clients.publish(server, "lg", "longgop.flv")
    wait_live(server, "lg")
    time.sleep(3)
    c = clients.flv(server, "lg")
    assert c.status == 200
    tags = []
    first_video = None
    deadline = time.monotonic() + 12
    while first_video is None and time.monotonic() < deadline:
        tag = c.read_tag(timeout=12)
        assert tag is not None, f"stream ended: {tags}"
        tags.append(tag)
        if tag.is_video and not tag.is_sequence_header:
            first_video = tag
    assert first_video is not None, f"no video frame within 12 s: {tags[:10]}"
    assert any(t.is_avc_sequence_header for t in tags), f"no AVC sequence header before video: {tags[:10]}"
    assert first_video.is_keyframe, f"first video frame is not a keyframe: {tags[:10]}"
    waited = first_video.arrived - c.connected_at
    assert waited < 5, (f"first keyframe came {waited:.1f}s after connecting: it was the next keyframe "
                        f"of the 10 s GOP, not the cached one")
    # The cached GOP arrives as a burst: several seconds of media right after the keyframe.
    more, eof = c.read_tags_for(1.0)
    assert not eof
    span = max([t.timestamp for t in more if t.is_video] + [first_video.timestamp]) - first_video.timestamp
    assert span >= 1500, f"only {span} ms of video right after the cached keyframe (GOP cache not sent?)"


def test_query_parameters_are_ignored(server, clients):
    clients.publish(server, "q", "av.flv", query="?random=123&foo=bar")
    wait_live(server, "q")
    c = clients.flv(server, "q", query="?random=1")
    assert c.status == 200, f"{server.flv_path('q')}?random=1 -> {c.status}"
    tags, eof = c.read_tags_for(2)
    assert not eof and any(t.is_keyframe for t in tags), f"no keyframe over FLV with a query: {tags[:10]}"
    url = server.rtmp_url("q") + "?random=42"
    rc, probe, err = ffprobe(url)
    assert rc == 0, f"ffprobe {url} failed ({rc}): {err}"
    assert_av(probe, url)


def test_players_with_tcp_nodelay(servers, clients):
    """server.tcp_nodelay: true (Nagle off on media connections) changes nothing players can see."""
    server = servers.start({"server": {"tcp_nodelay": True}})
    clients.publish(server, "n", "av.flv")
    wait_live(server, "n")
    for proto in ("rtmp", "flv"):
        url = url_for(server, proto, "n")
        rc, err = ffmpeg_read(url, seconds=3)
        assert rc == 0, f"ffmpeg -i {url} -t 3 failed ({rc}): {err}"
