#!/usr/bin/env python3
"""The benchmark's test stream with HEVC video: the same 720p30 picture, bit rate (2.4 Mbit/s CBR),
2 s GOP and AAC audio as bench/compare.sh's H.264 file, encoded by libx265 into MP4 and written
as enhanced FLV (E-RTMP `hvc1` video tags, legacy AAC audio tags), which Debian's ffmpeg 5.1
cannot write itself. The FLV tags are built by the e2e test publisher's code.

    bench/make_hevc_flv.py OUT.flv
"""
import os
import subprocess
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import mp4samples  # noqa: E402
from ertmp_publisher import AUDIO, VIDEO, audio_track, single_track_tags, video_track  # noqa: E402


def flv_tag(kind, ts, body):
    head = bytes([kind]) + len(body).to_bytes(3, "big") + (ts & 0xFFFFFF).to_bytes(3, "big") + bytes([ts >> 24 & 0xFF])
    return head + b"\0\0\0" + body + struct.pack(">I", 11 + len(body))


def main(out):
    with tempfile.TemporaryDirectory() as tmp:
        mp4 = os.path.join(tmp, "hevc.mp4")
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "60",
             "-c:v", "libx265", "-preset", "ultrafast", "-b:v", "2400k", "-tag:v", "hvc1", "-pix_fmt", "yuv420p",
             "-x265-params", "vbv-maxrate=2400:vbv-bufsize=2400:keyint=60:min-keyint=60:scenecut=0:bframes=0:"
             "log-level=error",
             "-c:a", "aac", "-b:a", "128k", "-ac", "2", mp4], check=True, timeout=1800)
        video, audio = video_track(mp4), audio_track(mp4)
        tags = [t for t in single_track_tags(video) if t[0] == VIDEO]
        asc = mp4samples.esds_audio_specific_config(audio.config)
        tags.append((AUDIO, 0, b"\xaf\x00" + asc))
        tags += [(AUDIO, dts, b"\xaf\x01" + data) for dts, _, _, data in audio.samples]
        tags.sort(key=lambda t: (t[1], t[0]))
    with open(out + ".tmp", "wb") as f:
        f.write(b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00")
        for kind, ts, body in tags:
            f.write(flv_tag(kind, ts, body))
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv[1])
