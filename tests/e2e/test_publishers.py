"""Publishers other than ffmpeg: GStreamer's rtmp2sink (the issue names it beside OBS and ffmpeg)."""
import shutil

import pytest

from harness import ffprobe, streams_by_type, wait_live

GST = shutil.which("gst-launch-1.0")


@pytest.mark.skipif(GST is None, reason="gst-launch-1.0 not installed (scripts/setup.sh --test installs it)")
def test_gstreamer_rtmp2sink_publishes_clean_tracks(server, clients):
    # A live test source through x264 + AAC, muxed by flvmux and pushed by rtmp2sink. GStreamer
    # re-sends onMetaData every few seconds with the media clock: players must still see exactly
    # one video and one audio track (no spurious data or subtitle track).
    pipeline = [
        GST, "-q", "-e",
        "videotestsrc", "is-live=true", "num-buffers=500", "!",
        "video/x-raw,width=320,height=240,framerate=25/1", "!",
        "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=50", "!", "h264parse", "!",
        "flvmux", "name=m", "streamable=true", "!", "rtmp2sink", f"location={server.rtmp_url('gst')}",
        "audiotestsrc", "is-live=true", "!", "audioconvert", "!", "voaacenc", "!", "aacparse", "!", "m.",
    ]
    clients.run(pipeline, what="gstreamer")
    wait_live(server, "gst")
    for url in (server.flv_url("gst"), server.rtmp_url("gst")):
        rc, probe, err = ffprobe(url)
        assert rc == 0, f"ffprobe {url} failed ({rc}): {err}"
        by = streams_by_type(probe)
        assert set(by) == {"video", "audio"}, f"{url}: expected only video and audio, got {probe}"
        assert by["video"][0]["codec_name"] == "h264" and by["video"][0]["width"] == 320
        assert by["audio"][0]["codec_name"] == "aac"
