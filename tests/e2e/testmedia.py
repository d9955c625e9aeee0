"""Test media: generated once per machine with ffmpeg's lavfi sources, then reused.

Files land in LIVEORIGIN_MEDIA_DIR (or a per-user temp dir). Each file is written under a temporary
name and renamed, and generation holds a lock file, so parallel test runs never see half a file.
"""
import fcntl
import os
import subprocess
import tempfile

# Bump when the recipes change so stale caches are regenerated.
RECIPE_VERSION = "1"

_VIDEO_SRC = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"]
_AUDIO_SRC = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
         "-keyint_min", "{gop}", "-g", "{gop}", "-sc_threshold", "0"]
_AAC = ["-c:a", "aac", "-ar", "44100", "-ac", "2", "-b:a", "128k"]

# name -> (inputs, codec args, GOP in frames)
RECIPES = {
    "av.flv": (_VIDEO_SRC + _AUDIO_SRC, _X264 + _AAC, 50),
    "audio.flv": (_AUDIO_SRC, _AAC, 0),
    "video.flv": (_VIDEO_SRC, _X264, 50),
    "longgop.flv": (_VIDEO_SRC + _AUDIO_SRC, _X264 + _AAC, 250),
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
    inputs, codec, gop = RECIPES[name]
    codec = [a.replace("{gop}", str(gop)) for a in codec]
    tmp = f"{path}.tmp{os.getpid()}"
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *inputs,
           "-t", str(DURATION_S), *codec, "-f", "flv", tmp]
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
