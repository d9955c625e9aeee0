"""Enhanced RTMP (PRODUCT.md section 10): HEVC, AV1, VP9 and Opus published as E-RTMP v1/v2 tags
built from ffmpeg's MP4 output, passed to players byte for byte, described by the API, recorded."""
import json
import os
import subprocess
import time

import pytest

import testmedia
from apiclient import call, data
from ertmp_publisher import (AUDIO, MANY_TRACKS, MANY_TRACKS_MANY_CODECS, ONE_TRACK, SEQUENCE_START,
                             VIDEO, ErtmpPublisher, audio_tag, audio_track, multitrack_audio_tags,
                             multitrack_tag, multitrack_tags, single_track_tags, video_tag, video_track)
from flvstream import FlvClient
from harness import HOST, wait_live
from rtmpraw import RtmpClient
from test_hls import get, wait_playlist

VIDEO_MEDIA = {"hevc": "hevc.mp4", "av1": "av1.mp4", "vp9": "vp9.mp4"}


def media(name):
    return testmedia.media_path(name)


def publish(server, stream, tags, **kw):
    return ErtmpPublisher(HOST, server.rtmp_port, stream, tags, **kw).start()


def flv_player(server, stream):
    return FlvClient(HOST, server.http_port, server.flv_path(stream), timeout=10.0, body_limit=None)


def read_media_tags(player, count, timeout=20.0):
    """COUNT audio/video tags as (type, timestamp, body)."""
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < count:
        assert time.monotonic() < deadline, f"only {len(out)} of {count} tags within {timeout}s"
        tag = player.read_tag(timeout=max(0.1, deadline - time.monotonic()))
        assert tag is not None, f"stream ended after {len(out)} tags"
        if tag.type in (AUDIO, VIDEO):
            out.append((tag.type, tag.timestamp, tag.body))
    return out


def assert_forwarded_exactly(received, sent, configs):
    """A late joiner's tags: the CONFIGS (SequenceStarts) first, then an unbroken run of what was
    sent, byte for byte with the same timestamps."""
    head, rest = received[:len(configs)], received[len(configs):]
    brief = lambda tags: [(t, ts, body[:8].hex()) for t, ts, body in tags]  # noqa: E731
    assert sorted(head) == sorted(configs), \
        f"the late joiner's first tags {brief(head)} are not the SequenceStarts {brief(configs)}"
    assert rest, "no media after the SequenceStarts"
    frames = [t for t in sent if t not in configs]
    start = frames.index(rest[0])  # ValueError: a tag that was never sent
    assert rest == frames[start:start + len(rest)], "tags differ from what was published"


def stream_info(server, stream, want, timeout=15.0):
    """The API's stream object once want(obj) holds."""
    deadline = time.monotonic() + timeout
    s = None
    while time.monotonic() < deadline:
        s = data(server, "GET", f"/api/v1/streams/live/{stream}")
        if want(s):
            return s
        time.sleep(0.3)
    raise AssertionError(f"stream {stream} not as expected within {timeout}s: {s}")


@pytest.mark.parametrize("codec", ["hevc", "av1", "vp9"])
def test_single_track_codec_passes_through_and_is_described(server, codec):
    video = video_track(media(VIDEO_MEDIA[codec]))
    opus = audio_track(media("opus.mp4"))
    tags = single_track_tags(video, opus, mod_ex_every=7)
    pub = publish(server, codec, tags)
    try:
        wait_live(server, codec)
        with flv_player(server, codec) as player:
            received = read_media_tags(player, 120)
        assert_forwarded_exactly(received, tags, tags[:2])
        s = stream_info(server, codec, lambda s: s["video"] and s["video"]["fps"] > 0 and s["audio"])
        v, a = s["video"], s["audio"]
        assert (v["codec"], v["width"], v["height"]) == (codec, 320, 240), v
        assert 20 <= v["fps"] <= 30, v
        assert (a["codec"], a["sample_rate"], a["channels"]) == ("opus", 48000, 2), a
        assert "tracks" not in s
    finally:
        pub.close()


def test_hevc_composition_times_ride_only_on_nalu_codecs(server):
    # x265 makes B-frames: CodedFrames with a composition time; AV1 frames start at the FourCC.
    hevc = single_track_tags(video_track(media("hevc.mp4")))
    assert any(b[0] & 0x0F == 1 and b[5:8] != b"\0\0\0" for _, _, b in hevc[1:]), "no B-frames"
    av1 = single_track_tags(video_track(media("av1.mp4")))
    pub = publish(server, "ct", hevc)
    pub2 = publish(server, "noct", av1)
    try:
        for name, sent in (("ct", hevc), ("noct", av1)):
            wait_live(server, name)
            with flv_player(server, name) as player:
                assert_forwarded_exactly(read_media_tags(player, 40), sent, sent[:1])
    finally:
        pub.close()
        pub2.close()


@pytest.mark.parametrize("layout", [ONE_TRACK, MANY_TRACKS_MANY_CODECS])
def test_multitrack_stream(server, layout):
    hevc, av1 = video_track(media("hevc.mp4")), video_track(media("av1.mp4"))
    opus = audio_track(media("opus.mp4"))
    tags = multitrack_tags(hevc, av1, opus, video_layout=layout)
    configs = tags[:3 if layout == ONE_TRACK else 2]
    pub = publish(server, "multi", tags)
    try:
        wait_live(server, "multi")
        time.sleep(1.0)  # a late joiner: the SequenceStarts come from the cache
        with flv_player(server, "multi") as player:
            received = read_media_tags(player, 100)
        assert_forwarded_exactly(received, tags, configs)

        # A late RTMP player gets every track's SequenceStart too (track 1's travelled alone).
        rtmp = RtmpClient(HOST, server.rtmp_port)
        try:
            rtmp.connect("live", f"rtmp://{HOST}:{server.rtmp_port}/live")
            sid = int(rtmp.create_stream()[3])
            rtmp.send_command("play", 0, None, "multi", stream_id=sid)
            got = []
            deadline = time.monotonic() + 15
            while len(got) < len(configs):
                mtype, _, body = rtmp.read_message(deadline)
                if mtype in (AUDIO, VIDEO):
                    got.append((mtype, 0, body))
            assert sorted(got) == sorted(configs)
        finally:
            rtmp.close()

        s = stream_info(server, "multi", lambda s: s.get("tracks") and s["video"]["fps"] > 0)
        assert (s["video"]["codec"], s["video"]["width"], s["video"]["height"]) == ("hevc", 320, 240)
        assert 20 <= s["video"]["fps"] <= 30, s["video"]  # the default track's frames only
        assert s["audio"]["codec"] == "opus", s["audio"]
        tracks = {(t["type"], t["id"]): t for t in s["tracks"]}
        assert set(tracks) == {("video", 0), ("video", 1), ("audio", 0), ("audio", 1)}, s["tracks"]
        assert tracks[("video", 1)]["codec"] == "av1" and tracks[("video", 1)]["width"] == 320
        assert tracks[("audio", 1)]["codec"] == "opus" and tracks[("audio", 1)]["channels"] == 2

        # Per-track bytes and rates: each track's own payloads (the two audio tracks carry the same
        # Opus packets, so their counts are equal); the rates once the API has two samples.
        s = stream_info(server, "multi", lambda s: all(t["kbps"] > 0 for t in s["tracks"]))
        tracks = {(t["type"], t["id"]): t for t in s["tracks"]}
        sent_v1 = sum(len(d) for _, _, _, d in av1.samples)
        assert 0 < tracks[("video", 1)]["bytes"] <= sent_v1 + len(av1.config), tracks
        assert tracks[("audio", 0)]["bytes"] > 0 and tracks[("audio", 0)]["bytes"] == tracks[("audio", 1)]["bytes"]
        assert 20 < tracks[("audio", 0)]["kbps"] < 150, tracks  # 64 kbit/s Opus
        status, text = call(server, "GET", "/metrics")
        assert status == 200
        assert 'liveorigin_stream_bytes_in_total{app="live",stream="multi",video_codec="hevc",audio_codec="opus"} ' in text
        track_lines = [line for line in text.splitlines() if line.startswith("liveorigin_stream_track_bytes_in_total{")]
        assert len(track_lines) == 4, track_lines
        assert any('type="video",track="1",codec="av1"} ' in line and int(line.split()[-1]) > 0
                   for line in track_lines), track_lines
    finally:
        pub.close()


def test_unknown_fourcc_and_sizes_past_the_end_are_dropped(server):
    good = single_track_tags(video_track(media("hevc.mp4")))
    at = 3000  # after the player below has joined
    bad = [
        (VIDEO, at, video_tag(b"xyz1", SEQUENCE_START, b"\x01\x02\x03")),
        (AUDIO, at, audio_tag(b"zzzz", SEQUENCE_START, b"\x01")),
        # ManyTracks whose second track claims more bytes than the message holds.
        (AUDIO, at, multitrack_tag(AUDIO, MANY_TRACKS, SEQUENCE_START, [(0, b"Opus", b"OpusHead")])
         + b"\x01\x00\x01\x00"),
        # A ModEx prefix whose data runs past the end.
        (VIDEO, at, bytes([0x97, 0x20, 0x00])),
    ]
    split = next(i for i, t in enumerate(good) if t[1] >= at)
    pub = publish(server, "bad", good[:split] + bad + good[split:])
    try:
        wait_live(server, "bad")
        with flv_player(server, "bad") as player:
            received = read_media_tags(player, 120)
        assert max(t[1] for t in received) > at + 500, "the player did not get past the bad tags"
        assert not [t for t in received if t in bad]
        assert_forwarded_exactly(received, good, good[:1])
        s = stream_info(server, "bad", lambda s: s["video"] is not None and s["video"]["width"])
        assert s["video"]["codec"] == "hevc" and s["audio"] is None, s
        log = server.log_text()
        assert "message(s) dropped: unknown FourCC" in log, server.log_tail()
        assert log.count("message(s) dropped") == 1, server.log_tail()  # rate-limited
    finally:
        pub.close()


def test_connect_states_the_server_capabilities(server):
    pub = ErtmpPublisher(HOST, server.rtmp_port, "caps", [])
    try:
        props = pub.connect_reply[2]
        caps = int(props["capsEx"])
        assert caps & 0x02 and caps & 0x04, props  # Multitrack, ModEx
        for fourcc in ("hvc1", "av01", "vp09", "avc1", "Opus", "mp4a", "ac-3", "ec-3", "fLaC", ".mp3"):
            assert fourcc in props["fourCcList"], props
        assert int(props["videoFourCcInfoMap"]["hvc1"]) & 0x04, props  # can forward
        log = server.log_text()
        assert "enhanced RTMP client: codecs hvc1,av01,vp09,Opus, capsEx 6" in log, server.log_tail()
    finally:
        pub.close()


def test_legacy_hevc_codec_id_12(server):
    hevc = video_track(media("hevc.mp4"))
    tags = [(VIDEO, 0, bytes([0x1C, 0, 0, 0, 0]) + hevc.config)]
    for dts, cts, key, sample in hevc.samples:
        tags.append((VIDEO, dts, bytes([0x1C if key else 0x2C, 1]) + (cts & 0xFFFFFF).to_bytes(3, "big") + sample))
    pub = publish(server, "legacy", tags)
    try:
        wait_live(server, "legacy")
        s = stream_info(server, "legacy", lambda s: s["video"] and s["video"]["width"])
        assert (s["video"]["codec"], s["video"]["width"], s["video"]["height"]) == ("hevc", 320, 240)
    finally:
        pub.close()


# ---------------------------------------------------------------- recording


def probe_file(path):
    res = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", path],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def landed(server, stream, fmt, timeout=30.0):
    d = os.path.join(server.data_dir, "vod", "live", stream)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = os.listdir(d) if os.path.isdir(d) else []
        done = [n for n in names if n.endswith("." + fmt)]
        if done and not any(n.endswith((".part", ".landing")) for n in names):
            return os.path.join(d, done[0])
        time.sleep(0.3)
    raise AssertionError(f"no landed {fmt} for {stream} within {timeout}s")


@pytest.mark.parametrize("codec,tag", [("hevc", "hvc1"), ("av1", "av01"), ("vp9", "vp09")])
def test_mp4_recording_carries_the_codec(servers, codec, tag):
    server = servers.start({"apps": {"live": {"record": {"enabled": True, "format": "mp4"}}}})
    tags = single_track_tags(video_track(media(VIDEO_MEDIA[codec])), audio_track(media("opus.mp4")))
    tags = [t for t in tags if t[1] < 4000]
    pub = publish(server, codec, tags, realtime=False, linger=0.5)
    pub.wait(30)
    pub.close()
    probe = probe_file(landed(server, codec, "mp4"))
    streams = {s["codec_type"]: s for s in probe["streams"]}
    v, a = streams["video"], streams["audio"]
    assert (v["codec_tag_string"], v["width"], v["height"]) == (tag, 320, 240), v
    assert (a["codec_name"], a["codec_tag_string"], int(a["sample_rate"])) == ("opus", "Opus", 48000), a
    assert float(probe["format"]["duration"]) > 3.0, probe["format"]
    # ffmpeg decodes what was recorded.
    res = subprocess.run(["ffmpeg", "-v", "error", "-i", landed(server, codec, "mp4"), "-f", "null", "-"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and not res.stderr.strip(), res.stderr[-2000:]


def test_flv_recording_keeps_the_tags(servers):
    server = servers.start({"apps": {"live": {"record": {"enabled": True, "format": "flv"}}}})
    hevc, av1 = video_track(media("hevc.mp4")), video_track(media("av1.mp4"))
    tags = multitrack_tags(hevc, av1, audio_track(media("opus.mp4")))
    tags = [t for t in tags if t[1] < 3000]
    pub = publish(server, "flvrec", tags, realtime=False, linger=0.5)
    pub.wait(30)
    pub.close()
    with open(landed(server, "flvrec", "flv"), "rb") as f:
        flv = f.read()
    recorded, pos = [], 13
    while pos + 11 <= len(flv):
        size = int.from_bytes(flv[pos + 1:pos + 4], "big")
        ts = int.from_bytes(flv[pos + 4:pos + 7], "big") | flv[pos + 7] << 24
        if flv[pos] in (AUDIO, VIDEO):
            recorded.append((flv[pos], ts, flv[pos + 11:pos + 11 + size]))
        pos += 11 + size + 4
    # The file starts with every track's SequenceStart, then media from the first key frame on.
    configs, media_tags = tags[:3], tags[3:]
    first_key = next(i for i, t in enumerate(media_tags) if t[0] == VIDEO and t[2][0] >> 4 & 7 == 1)
    assert sorted(recorded[:3]) == sorted(configs)
    assert recorded[3:] == media_tags[first_key:]


# ---------------------------------------------------------------- HLS


def hls_url(server, stream):
    return f"http://{HOST}:{server.http_port}/live/{stream}.m3u8"


def probe_url(url):
    res = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", url],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.parametrize("codec,fourcc", [("av1", "av01"), ("vp9", "vp09")])
def test_hls_is_fmp4_when_ts_cannot_carry_the_tracks(server, codec, fourcc):
    tags = single_track_tags(video_track(media(VIDEO_MEDIA[codec])), audio_track(media("opus.mp4")))
    pub = publish(server, codec, tags)
    try:
        pl = wait_playlist(server, codec, 3)
        status, headers, text = get(server, f"/live/{codec}.m3u8")
        text = text.decode()
        assert "#EXT-X-VERSION:7" in text and text.count("#EXT-X-MAP:URI=") == 1, text
        init_uri = text.split('#EXT-X-MAP:URI="')[1].split('"')[0]
        assert init_uri.endswith(".mp4") and all(uri.endswith(".m4s") for _, uri, _ in pl["segments"])
        for duration, _, _ in pl["segments"]:
            assert abs(duration - 2.0) < 0.05, pl
        status, headers, init = get(server, f"/live/{init_uri}")
        assert status == 200 and headers["content-type"] == "video/mp4" and init[4:8] == b"ftyp"
        status, headers, frag = get(server, f"/live/{pl['segments'][0][1]}")
        assert status == 200 and headers["content-type"] == "video/iso.segment"
        assert frag[4:8] in (b"styp", b"moof"), frag[:16]
        # An independent reader: ffprobe plays the HLS playlist (fMP4) and sees both tracks.
        probe = probe_url(hls_url(server, codec))
        streams = {s["codec_type"]: s for s in probe["streams"]}
        assert streams["video"]["codec_name"] == codec, streams
        assert (streams["video"]["width"], streams["video"]["height"]) == (320, 240)
        assert streams["audio"]["codec_name"] == "opus", streams
        # ffmpeg decodes init + fragments without an error.
        res = subprocess.run(["ffmpeg", "-v", "error", "-i", hls_url(server, codec), "-t", "3", "-f", "null", "-"],
                             capture_output=True, text=True, timeout=90)
        assert res.returncode == 0 and not res.stderr.strip(), res.stderr[-2000:]
    finally:
        pub.close()


def test_flac_audio_goes_to_fmp4_hls(server):
    tags = single_track_tags(video_track(media("av1.mp4")), audio_track(media("flac.mp4")))
    pub = publish(server, "flac", tags)
    try:
        wait_playlist(server, "flac", 2)
        probe = probe_url(hls_url(server, "flac"))
        streams = {s["codec_type"]: s for s in probe["streams"]}
        assert (streams["audio"]["codec_name"], int(streams["audio"]["sample_rate"])) == ("flac", 48000), streams
        s = stream_info(server, "flac", lambda s: s["audio"])
        assert (s["audio"]["codec"], s["audio"]["sample_rate"]) == ("flac", 48000), s
    finally:
        pub.close()


def test_hls_hevc_with_b_frames_is_ts_cut_on_presented_key_frames(server):
    tags = single_track_tags(video_track(media("hevc.mp4")))
    pub = publish(server, "hevcts", tags)
    try:
        pl = wait_playlist(server, "hevcts", 3)
        text = get(server, "/live/hevcts.m3u8")[2].decode()
        assert "#EXT-X-MAP" not in text and all(uri.endswith(".ts") for _, uri, _ in pl["segments"])
        for duration, _, _ in pl["segments"]:
            assert abs(duration - 2.0) < 0.05, pl  # decode times would make the first 3.96 s
        assert pl["target"] == 2, pl
        assert "further apart than hls.fragment" not in server.log_text()
        probe = probe_url(hls_url(server, "hevcts"))
        video = [s for s in probe["streams"] if s["codec_type"] == "video"][0]
        assert (video["codec_name"], video["width"], video["height"]) == ("hevc", 320, 240), video
    finally:
        pub.close()


def test_hls_format_fmp4_carries_hevc_as_hvc1(servers, tmp_path):
    server = servers.start({"apps": {"live": {"hls": {"format": "fmp4"}}}})
    tags = single_track_tags(video_track(media("hevc.mp4")), audio_track(media("opus.mp4")))
    pub = publish(server, "hvc", tags)
    try:
        pl = wait_playlist(server, "hvc", 2)
        text = get(server, "/live/hvc.m3u8")[2].decode()
        init_uri = text.split('#EXT-X-MAP:URI="')[1].split('"')[0]
        path = tmp_path / "first.mp4"
        path.write_bytes(get(server, f"/live/{init_uri}")[2] + get(server, f"/live/{pl['segments'][0][1]}")[2])
        probe = probe_file(str(path))
        video = [s for s in probe["streams"] if s["codec_type"] == "video"][0]
        assert (video["codec_tag_string"], video["width"]) == ("hvc1", 320), video
        assert abs(float(probe["format"]["duration"]) - 2.0) < 0.2, probe["format"]
    finally:
        pub.close()


def audio_streams(probe):
    return [(s["codec_name"], int(s["sample_rate"]), s["channels"]) for s in probe["streams"]
            if s["codec_type"] == "audio"]


def test_hls_lists_the_other_audio_tracks_as_renditions(servers, tmp_path):
    server = servers.start({"apps": {"live": {"hls": {"path": str(tmp_path / "hls")}}}})
    # Track 0 (AAC mono 44.1 kHz) plays with the video in live/mt.m3u8; track 1 (Opus, stereo
    # 48 kHz) is a rendition of its own in fMP4 (MPEG-TS cannot carry Opus).
    # Track 2 (AC-3) is a rendition in MPEG-TS.
    tags = multitrack_audio_tags(video_track(media("hevc.mp4")), [audio_track(media("aac.mp4")),
                                 audio_track(media("opus.mp4")), audio_track(media("ac3.mp4"))])
    pub = publish(server, "mt", tags)
    try:
        main = wait_playlist(server, "mt", 3)
        deadline = time.monotonic() + 15
        while True:
            status, headers, body = get(server, "/live/mt/master.m3u8?txSecret=x&other=y")
            if status == 200 and b"audio2.m3u8" in body or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert status == 200 and headers["content-type"] == "application/vnd.apple.mpegurl", (status, body)
        lines = body.decode().splitlines()
        assert lines[0] == "#EXTM3U", lines
        assert '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Track 0",DEFAULT=YES,AUTOSELECT=YES' in lines
        assert ('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Track 1",DEFAULT=NO,AUTOSELECT=YES,'
                'URI="audio1.m3u8?txSecret=x"') in lines, lines
        inf = next(line for line in lines if line.startswith("#EXT-X-STREAM-INF:"))
        assert 'RESOLUTION=320x240' in inf and 'AUDIO="audio"' in inf, inf
        assert int(inf.split("BANDWIDTH=")[1].split(",")[0]) > 64000, inf
        assert lines[lines.index(inf) + 1] == "../mt.m3u8?txSecret=x", lines

        # The rendition's playlist: fMP4 segments cut where the stream's are, numbered alike.
        rendition = wait_playlist(server, "mt/audio1", 2)
        text = get(server, "/live/mt/audio1.m3u8")[2].decode()
        assert "#EXT-X-MAP:URI=" in text and all(u.startswith("audio1-") and u.endswith(".m4s")
                                                 for _, u, _ in rendition["segments"]), text
        for duration, _, _ in rendition["segments"][:-1]:
            assert abs(duration - 2.0) < 0.1, text
        main = wait_playlist(server, "mt", 3)
        main_numbers = range(main["sequence"], main["sequence"] + len(main["segments"]))
        last = rendition["sequence"] + len(rendition["segments"]) - 1
        assert last in main_numbers or last + 1 in main_numbers, (main, rendition)

        # Independent readers: ffprobe reads each playlist and finds the track's own audio.
        base = f"http://{HOST}:{server.http_port}/live"
        assert audio_streams(probe_url(f"{base}/mt/audio1.m3u8")) == [("opus", 48000, 2)]
        assert audio_streams(probe_url(f"{base}/mt/audio2.m3u8")) == [("ac3", 48000, 2)]
        assert get(server, "/live/mt/audio2.m3u8")[2].decode().count(".ts\n") >= 1
        probe = probe_url(f"{base}/mt.m3u8")
        assert audio_streams(probe) == [("aac", 44100, 1)], probe["streams"]
        assert [s["codec_name"] for s in probe["streams"] if s["codec_type"] == "video"] == ["hevc"]
        # Through the multivariant playlist ffmpeg's HLS reader opens the variant and the rendition.
        probe = probe_url(f"{base}/mt/master.m3u8")
        assert sorted(audio_streams(probe)) == [("aac", 44100, 1), ("ac3", 48000, 2), ("opus", 48000, 2)], \
            probe["streams"]
        res = subprocess.run(["ffmpeg", "-v", "error", "-i", f"{base}/mt/audio1.m3u8", "-t", "3", "-f", "null", "-"],
                             capture_output=True, text=True, timeout=90)
        assert res.returncode == 0 and not res.stderr.strip(), res.stderr[-2000:]
        # hls.path: the same files under APP/STREAM/ beside APP/STREAM.m3u8.
        on_disk = tmp_path / "hls" / "live"
        assert (on_disk / "mt.m3u8").is_file() and (on_disk / "mt" / "master.m3u8").is_file()
        disk_rendition = (on_disk / "mt" / "audio1.m3u8").read_text()
        assert "#EXT-X-MAP" in disk_rendition and any((on_disk / "mt").glob("audio1-*.m4s")), disk_rendition
    finally:
        pub.close()


def pmt_stream_types(ts):
    """The stream types a segment's PMT (PID 0x1000) announces."""
    for i in range(0, len(ts) - 187, 188):
        p = ts[i:i + 188]
        if ((p[1] & 0x1F) << 8 | p[2]) == 0x1000 and p[1] & 0x40:
            sec = p[5:]
            end = 3 + ((sec[1] & 0x0F) << 8 | sec[2]) - 4
            pos, types = 12 + ((sec[10] & 0x0F) << 8 | sec[11]), []
            while pos < end:
                types.append(sec[pos])
                pos += 5 + ((sec[pos + 3] & 0x0F) << 8 | sec[pos + 4])
            return types
    raise AssertionError("no PMT in the segment")


@pytest.mark.parametrize("codec,fourcc,stream_type", [("ac3", "ac-3", 0x81), ("eac3", "ec-3", 0x87)])
def test_ac3_and_eac3_go_to_hls_ts_and_mp4_recordings(servers, codec, fourcc, stream_type):
    server = servers.start({"apps": {"live": {"record": {"enabled": True, "format": "mp4"}}}})
    tags = single_track_tags(video_track(media("hevc.mp4")), audio_track(media(f"{codec}.mp4")))
    pub = publish(server, codec, tags)
    try:
        pl = wait_playlist(server, codec, 2)
        assert all(uri.endswith(".ts") for _, uri, _ in pl["segments"]), pl
        assert pmt_stream_types(get(server, f"/live/{pl['segments'][0][1]}")[2]) == [0x24, stream_type]
        probe = probe_url(hls_url(server, codec))
        assert audio_streams(probe) == [(codec, 48000, 2)], probe["streams"]
        res = subprocess.run(["ffmpeg", "-v", "error", "-i", hls_url(server, codec), "-t", "3", "-f", "null", "-"],
                             capture_output=True, text=True, timeout=90)
        assert res.returncode == 0 and not res.stderr.strip(), res.stderr[-2000:]
        s = stream_info(server, codec, lambda s: s["audio"])
        assert (s["audio"]["codec"], s["audio"]["sample_rate"], s["audio"]["channels"]) == (codec, 48000, 2), s
    finally:
        pub.close()
    path = landed(server, codec, "mp4")
    probe = probe_file(path)
    a = [s for s in probe["streams"] if s["codec_type"] == "audio"][0]
    assert (a["codec_name"], a["codec_tag_string"], int(a["sample_rate"]), a["channels"]) == (codec, fourcc, 48000, 2), a
    assert float(probe["format"]["duration"]) > 3.0, probe["format"]
    res = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0 and not res.stderr.strip(), res.stderr[-2000:]
