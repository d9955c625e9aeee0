#!/usr/bin/env python3
"""Builds the fuzz seed corpus from real ffmpeg sessions (docs/hardening.md).

Usage: make_seeds.py OUT_DIR [LIVEORIGIN_BIN]

ffmpeg publishes (H.264+AAC, then H.264+MP3) and plays through a recording TCP proxy in front of a
liveorigin server: the client-to-server bytes of each session become the handshake, chunk-stream
and session seeds. ffmpeg's FLV output gives the FLV, codec-header, AMF0 and HLS seeds; an HEVC MP4
gives an hvcC record. Small hand-written seeds (fuzz/seeds/) are copied in as well. Nothing here is
committed: it is regenerated at fuzz time into OUT_DIR/<target>/.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
MAX_SEED = 64 * 1024


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


class Proxy:
    """Forwards 127.0.0.1:port to the server and records what each client sent."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.sessions = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            record = bytearray()
            self.sessions.append(record)
            threading.Thread(target=self._pump, args=(client, server, record), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None), daemon=True).start()

    @staticmethod
    def _pump(src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record is not None:
                    record.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def run(cmd, timeout=60):
    subprocess.run(cmd, check=True, timeout=timeout, stdin=subprocess.DEVNULL)


def make_media(tmp):
    """Two FLV files and an HEVC MP4, a couple of seconds each."""
    src = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440",
           "-t", "2", "-pix_fmt", "yuv420p", "-g", "25"]
    files = {}
    files["aac"] = os.path.join(tmp, "h264_aac.flv")
    run(FFMPEG + src + ["-c:v", "libx264", "-preset", "ultrafast", "-b:v", "200k", "-c:a", "aac", "-b:a", "64k",
                        files["aac"]])
    files["mp3"] = os.path.join(tmp, "h264_mp3.flv")
    run(FFMPEG + src + ["-c:v", "libx264", "-profile:v", "high", "-bf", "2", "-preset", "ultrafast",
                        "-c:a", "libmp3lame", "-ar", "44100", files["mp3"]])
    try:
        files["hevc"] = os.path.join(tmp, "hevc.mp4")
        run(FFMPEG + src + ["-t", "0.5", "-an", "-c:v", "libx265", "-preset", "ultrafast",
                            "-x265-params", "log-level=none", files["hevc"]])
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        files.pop("hevc")
    return files


def flv_tags(data):
    """(type, timestamp, body, raw tag bytes incl. previous-tag-size) of an FLV file."""
    pos = struct.unpack(">I", data[5:9])[0] + 4
    while pos + 11 <= len(data):
        kind = data[pos]
        size = int.from_bytes(data[pos + 1:pos + 4], "big")
        ts = int.from_bytes(data[pos + 4:pos + 7], "big") | data[pos + 7] << 24
        body = data[pos + 11:pos + 11 + size]
        yield kind, ts, body, data[pos:pos + 11 + size + 4]
        pos += 11 + size + 4


def flv_tag(kind, ts, body):
    """One FLV tag with its previous-tag-size."""
    return (bytes([kind]) + len(body).to_bytes(3, "big") + (ts & 0xFFFFFF).to_bytes(3, "big") + bytes([ts >> 24 & 0xFF])
            + b"\x00\x00\x00" + body + (11 + len(body)).to_bytes(4, "big"))


def enhanced_video(frame_type, packet_type, fourcc, rest):
    """An enhanced RTMP video body: [1][frame type:3][packet type:4], FourCC, the rest."""
    return bytes([0x80 | frame_type << 4 | packet_type]) + fourcc + rest


def enhanced_avc(tags):
    """A bare tag stream with the legacy AVC video tags rewritten as enhanced RTMP 'avc1' ones:
    SequenceStart, and frames alternating CodedFrames (with composition time) and CodedFramesX."""
    out = bytearray()
    for n, (kind, ts, body, raw) in enumerate(tags):
        if kind != 9 or len(body) < 5 or body[0] & 0x0F != 7 or body[1] > 1:
            out += raw
            continue
        frame_type = body[0] >> 4
        if body[1] == 0:
            new = enhanced_video(frame_type, 0, b"avc1", body[5:])
        elif n % 2 and body[2:5] == b"\x00\x00\x00":
            new = enhanced_video(frame_type, 3, b"avc1", body[5:])
        else:
            new = enhanced_video(frame_type, 1, b"avc1", body[2:])
        out += flv_tag(9, ts, new)
    return bytes(out)


def enhanced_hevc(hvcc):
    """'hvc1' SequenceStart and a few frames (CodedFrames and CodedFramesX), then the same frames
    cut inside their composition time: the shape of a crash the HLS muxer once had."""
    idr = b"\x00\x00\x00\x06\x26\x01\xaf\x00\x11\x22"
    trail = b"\x00\x00\x00\x05\x02\x01\xd0\x09\x7e"
    out = flv_tag(9, 0, enhanced_video(1, 0, b"hvc1", hvcc))
    out += flv_tag(9, 0, enhanced_video(1, 1, b"hvc1", b"\x00\x00\x00" + idr))
    out += flv_tag(9, 40, enhanced_video(2, 1, b"hvc1", b"\x00\x00\x28" + trail))
    out += flv_tag(9, 80, enhanced_video(2, 3, b"hvc1", trail))
    out += flv_tag(9, 2000, enhanced_video(1, 1, b"hvc1", b"\x00\x00\x00" + idr))
    cut = flv_tag(9, 2040, enhanced_video(2, 1, b"hvc1", b"\x00"))
    return out, out + cut


def mp4_box(data, name):
    i = data.find(name)
    if i < 4:
        return None
    size = struct.unpack(">I", data[i - 4:i])[0]
    return data[i + 4:i - 4 + size]


def capture_sessions(binary, flv_files, tmp):
    rtmp, http, api = free_port(), free_port(), free_port()
    cfg = os.path.join(tmp, "seed.yaml")
    with open(cfg, "w") as f:
        f.write(f"server:\n  rtmp: {{ listen: \"127.0.0.1:{rtmp}\" }}\n  http: {{ listen: \"127.0.0.1:{http}\" }}\n"
                f"  api: {{ listen: \"127.0.0.1:{api}\", token: t }}\n  data_dir: {tmp}/data\n  workers: 1\n"
                "apps:\n  live: { hls: { enabled: false } }\nlog: { level: warn }\n")
    server = subprocess.Popen([binary, "-c", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_port(rtmp):
            raise RuntimeError("liveorigin did not start")
        proxy = Proxy(rtmp)
        url = f"rtmp://127.0.0.1:{proxy.port}/live/seed"
        for name in ("aac", "mp3"):
            publish = subprocess.Popen(FFMPEG + ["-re", "-i", flv_files[name], "-c", "copy", "-f", "flv", url + name],
                                       stdin=subprocess.DEVNULL)
            time.sleep(1.0)
            # A player while the publisher is live; then the publisher ends by itself.
            subprocess.run(FFMPEG + ["-rw_timeout", "5000000", "-i", url + name, "-t", "0.5", "-f", "null", "-"],
                           timeout=30, stdin=subprocess.DEVNULL, check=False)
            publish.wait(timeout=30)
        time.sleep(0.3)
        return [bytes(s) for s in proxy.sessions]
    finally:
        server.terminate()
        server.wait(timeout=10)


def main():
    out = sys.argv[1]
    here_bin = os.path.join(HERE, "..", "build", "liveorigin")
    binary = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LIVEORIGIN_BIN", here_bin)
    seeds = {}

    def add(target, name, data, limit=MAX_SEED):
        seeds.setdefault(target, {})[name] = bytes(data[:limit])

    with tempfile.TemporaryDirectory() as tmp:
        files = make_media(tmp)
        flvs = {k: open(v, "rb").read() for k, v in files.items() if v.endswith(".flv")}
        for name, data in flvs.items():
            tags = list(flv_tags(data))
            bare = b"".join(t[3] for t in tags)
            add("flv", f"{name}_file", b"\x00" + data)
            add("flv", f"{name}_file_pieces", b"\x10" + data)
            add("flv", f"{name}_bare", b"\x01" + bare)
            add("flv", f"{name}_bare_pieces", b"\x11" + bare)
            add("hls", f"{name}", b"\x03" + bare, limit=256 * 1024)
            add("hls", f"{name}_short", b"\x00" + bare[:MAX_SEED])
            # Enhanced RTMP: the same stream with 'avc1' FourCC video tags.
            ebare = enhanced_avc(tags)
            add("hls", f"{name}_enhanced", b"\x00" + ebare[:MAX_SEED])
            add("flv", f"{name}_enhanced_bare", b"\x01" + ebare)
            for kind, ts, body, _ in tags:
                if kind == 18:
                    add("amf0", f"{name}_metadata", body)
                elif kind == 9 and len(body) > 5 and body[0] & 0x0F == 7 and body[1] == 0:
                    add("codec", f"{name}_avcc", b"\x00" + body[5:])
                    add("codec", f"{name}_video_sequence_header", b"\x03" + body)
                    add("codec", f"{name}_enhanced_sequence_start", b"\x03" + enhanced_video(1, 0, b"avc1", body[5:]))
                elif kind == 8 and len(body) > 2 and body[0] >> 4 == 10 and body[1] == 0:
                    add("codec", f"{name}_asc", b"\x02" + body[2:])
                    add("codec", f"{name}_audio_sequence_header", b"\x03" + body)
        if "hevc" in files:
            hvcc = mp4_box(open(files["hevc"], "rb").read(), b"hvcC")
            if hvcc:
                add("codec", "hevc_hvcc", b"\x01" + hvcc)
                # Legacy FLV HEVC (codec id 12) and enhanced RTMP ('hvc1' SequenceStart) headers.
                add("codec", "hevc_legacy_header", b"\x03" + bytes([0x1C, 0, 0, 0, 0]) + hvcc)
                add("codec", "hevc_enhanced_header", b"\x03" + bytes([0x90]) + b"hvc1" + hvcc)
                whole, cut = enhanced_hevc(hvcc)
                add("hls", "hevc_enhanced", b"\x01" + whole)
                add("hls", "hevc_enhanced_cut", b"\x01" + cut)
                add("flv", "hevc_enhanced_bare", b"\x01" + whole)
                add("hls", "hevc_legacy", b"\x01" + struct.pack(">B", 9) + len(hvcc + b"12345").to_bytes(3, "big")
                    + b"\x00" * 7 + bytes([0x1C, 0, 0, 0, 0]) + hvcc + struct.pack(">I", 11 + 5 + len(hvcc)))

        try:
            sessions = capture_sessions(binary, files, tmp)
        except Exception as e:  # the parser seeds above still stand
            print(f"make_seeds: no RTMP sessions captured ({e}); is {binary} built?", file=sys.stderr)
            sessions = []
        for i, s in enumerate(sessions):
            hs, rest = s[:3073], s[3073:]
            add("handshake", f"session{i}", b"\x00" + hs)
            add("handshake", f"session{i}_pieces", b"\x07" + hs)
            add("chunk_reader", f"session{i}", b"\x00" + rest)
            add("chunk_reader", f"session{i}_pieces", b"\x0d" + rest)
            add("session", f"session{i}", b"\x00" + rest)
            add("session", f"session{i}_reject", b"\x01" + rest)
            add("session", f"session{i}_pieces", b"\x40" + rest)
            add("session", f"session{i}_commands", b"\x00" + rest[:4096])
            add("chunk_reader", f"session{i}_commands", b"\x00" + rest[:4096])

    # Commands as ffmpeg and OBS send them, encoded by the e2e suite's AMF0 writer.
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
    from rtmpraw import amf_encode
    commands = {
        "connect": ["connect", 1, {"app": "live?token=x", "type": "nonprivate", "flashVer": "FMLE/3.0",
                                   "tcUrl": "rtmp://h:1935/live?token=x", "fpad": False, "capabilities": 15.0,
                                   "audioCodecs": 4071.0, "videoCodecs": 252.0, "videoFunction": 1.0,
                                   "objectEncoding": 0.0}],
        "publish": ["publish", 5, None, "cam?k=v&e=1", "live"],
        "play": ["play", 4, None, "cam", -2000.0, -1.0, True],
        "create_stream": ["createStream", 4, None],
        "set_data_frame": ["@setDataFrame", "onMetaData", {"width": 320.0, "height": 240.0, "encoder": "Lavf"}],
    }
    for name, values in commands.items():
        add("amf0", name, b"".join(amf_encode(v) for v in values))

    for target in os.listdir(os.path.join(HERE, "seeds")):
        for name in os.listdir(os.path.join(HERE, "seeds", target)):
            add(target, name, open(os.path.join(HERE, "seeds", target, name), "rb").read())
    for name in ("liveorigin.yaml",):
        add("config", name, open(os.path.join(HERE, "..", "config", name), "rb").read())

    for target, files in seeds.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    print("seeds: " + ", ".join(f"{t} {len(f)}" for t, f in sorted(seeds.items())))


if __name__ == "__main__":
    main()
