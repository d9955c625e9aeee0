"""Test media: generated once per machine with ffmpeg's lavfi sources, then reused.

Files land in LIVEORIGIN_MEDIA_DIR (or a per-user temp dir). Each file is written under a temporary
name and renamed, and generation holds a lock file, so parallel test runs never see half a file.
"""
import fcntl
import os
import subprocess
import tempfile

# Bump when the recipes change so stale caches are regenerated.
RECIPE_VERSION = "2"

_VIDEO_SRC = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"]
_AUDIO_SRC = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
         "-keyint_min", "{gop}", "-g", "{gop}", "-sc_threshold", "0"]
_AAC = ["-c:a", "aac", "-ar", "44100", "-ac", "2", "-b:a", "128k"]

# Enhanced RTMP media: small pictures, 10 s, each codec in an MP4 of its own (ertmp_publisher reads
# the configuration records and samples from it). HEVC with B-frames, as x265 makes by default.
_SMALL_VIDEO_SRC = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"]
_OPUS_SRC = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
_GOP_ARGS = ["-g", "{gop}", "-pix_fmt", "yuv420p"]
ERTMP_DURATION_S = 10

# name -> (inputs, codec args, GOP in frames[, duration s]); the extension names the container.
RECIPES = {
    "av.flv": (_VIDEO_SRC + _AUDIO_SRC, _X264 + _AAC, 50),
    "audio.flv": (_AUDIO_SRC, _AAC, 0),
    "video.flv": (_VIDEO_SRC, _X264, 50),
    "longgop.flv": (_VIDEO_SRC + _AUDIO_SRC, _X264 + _AAC, 250),
    "hevc.mp4": (_SMALL_VIDEO_SRC, _GOP_ARGS + ["-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1",
                 "-x265-params", "keyint={gop}:min-keyint={gop}:bframes=3:scenecut=0:log-level=error"],
                 50, ERTMP_DURATION_S),
    "av1.mp4": (_SMALL_VIDEO_SRC, _GOP_ARGS + ["-c:v", "libsvtav1", "-preset", "12"], 50, ERTMP_DURATION_S),
    # libaom's AV1: mpegts.js 1.8.2 stops on SVT-AV1's frame headers (test_browser says more).
    "av1-aom.mp4": (_SMALL_VIDEO_SRC, _GOP_ARGS + ["-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8",
                    "-b:v", "300k"], 50, ERTMP_DURATION_S),
    "vp9.mp4": (_SMALL_VIDEO_SRC, _GOP_ARGS + ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                "-b:v", "400k"], 50, ERTMP_DURATION_S),
    "opus.mp4": (_OPUS_SRC, ["-c:a", "libopus", "-b:a", "64k", "-ac", "2"], 0, ERTMP_DURATION_S),
    "flac.mp4": (_OPUS_SRC, ["-c:a", "flac", "-strict", "-2"], 0, ERTMP_DURATION_S),
    # Mono 44.1 kHz, unlike the other audio tracks, so a test can tell which track it got.
    "aac.mp4": (_AUDIO_SRC, ["-c:a", "aac", "-ac", "1", "-b:a", "64k"], 0, ERTMP_DURATION_S),
    "ac3.mp4": (_OPUS_SRC, ["-c:a", "ac3", "-ac", "2", "-b:a", "192k"], 0, ERTMP_DURATION_S),
    "eac3.mp4": (_OPUS_SRC, ["-c:a", "eac3", "-ac", "2", "-b:a", "192k"], 0, ERTMP_DURATION_S),
}
DURATION_S = 30


def media_dir():
    d = os.environ.get("LIVEORIGIN_MEDIA_DIR")
    if not d:
        d = os.path.join(tempfile.gettempdir(), f"liveorigin-e2e-media-{os.getuid()}")
    d = os.path.join(d, f"v{RECIPE_VERSION}")
    os.makedirs(d, exist_ok=True)
    return d


def _generate(path, name):
    inputs, codec, gop, *duration = RECIPES[name]
    duration = duration[0] if duration else DURATION_S
    container = os.path.splitext(name)[1][1:]
    codec = [a.replace("{gop}", str(gop)) for a in codec]
    tmp = f"{path}.tmp{os.getpid()}"
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *inputs,
           "-t", str(duration), *codec, "-f", container, tmp]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
        if res.returncode != 0:
            raise RuntimeError(f"generating {name} failed: {' '.join(cmd)}\n{res.stderr}")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def media_path(name):
    """Absolute path of test media file NAME, generating it if it is not cached yet."""
    d = media_dir()
    path = os.path.join(d, name)
    if os.path.exists(path):
        return path
    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(path):
            _generate(path, name)
    return path
