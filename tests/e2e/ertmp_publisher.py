"""An enhanced RTMP (E-RTMP v1/v2) publisher for the tests: builds the tags byte for byte from the
samples and configuration records of ffmpeg's MP4 output (mp4samples), and sends them over raw
RTMP (rtmpraw) paced in real time. Tags are (message type, timestamp ms, body) tuples so tests can
compare what players receive with what was sent."""
import struct
import threading
import time

import mp4samples
from rtmpraw import RtmpClient

AUDIO, VIDEO = 8, 9

# Enhanced video packet types and audio packet types (the spec's numbering).
SEQUENCE_START, CODED_FRAMES, SEQUENCE_END, CODED_FRAMES_X = 0, 1, 2, 3
VIDEO_MULTITRACK, MOD_EX = 6, 7
AUDIO_MULTITRACK = 5
ONE_TRACK, MANY_TRACKS, MANY_TRACKS_MANY_CODECS = 0, 1, 2
KEY_FRAME, INTER_FRAME = 1, 2

# Only the NALU-based codecs carry a composition time in CodedFrames.
_NALU_FOURCCS = (b"avc1", b"hvc1", b"vvc1")


def si24(v):
    return (v & 0xFFFFFF).to_bytes(3, "big")


def video_payload(fourcc, packet_type, data, cts=0):
    """The per-track part after the FourCC: a composition time for avc1/hvc1 CodedFrames, the data."""
    if packet_type == CODED_FRAMES and fourcc in _NALU_FOURCCS:
        return si24(cts) + data
    return data


def frame_packet_type(fourcc, cts):
    """CodedFramesX (no composition time) when it is 0 or the codec has none on the wire."""
    if fourcc in _NALU_FOURCCS and cts != 0:
        return CODED_FRAMES
    return CODED_FRAMES_X if fourcc in _NALU_FOURCCS else CODED_FRAMES


def video_tag(fourcc, packet_type, data, key=True, cts=0, mod_ex=None):
    """ExVideoTagHeader: [IsExHeader:1][FrameType:3][PacketType:4], ModEx prefixes, FourCC, payload."""
    frame = KEY_FRAME if key else INTER_FRAME
    first = packet_type if mod_ex is None else MOD_EX
    out = bytes([0x80 | frame << 4 | first])
    if mod_ex is not None:
        out += mod_ex_prefix(mod_ex, packet_type)
    return out + fourcc + video_payload(fourcc, packet_type, data, cts)


def audio_tag(fourcc, packet_type, data, mod_ex=None):
    """ExAudioTagHeader: [9:4][PacketType:4], ModEx prefixes, FourCC, payload."""
    first = packet_type if mod_ex is None else MOD_EX
    out = bytes([0x90 | first])
    if mod_ex is not None:
        out += mod_ex_prefix(mod_ex, packet_type)
    return out + fourcc + data


def mod_ex_prefix(data, next_packet_type, mod_ex_type=0):
    """[size - 1:8] (or 255 and [size - 1:16]), the data, [ModExType:4][PacketType:4]."""
    size = len(data) - 1
    head = bytes([size]) if size < 255 else b"\xff" + struct.pack(">H", size)
    return head + data + bytes([mod_ex_type << 4 | next_packet_type])


def multitrack_tag(kind, multitrack_type, packet_type, tracks, key=True):
    """A v2 Multitrack tag. TRACKS: [(track id, fourcc, payload after the FourCC)]. OneTrack has one
    track and no size; ManyTracks share the FourCC; ManyTracksManyCodecs name one per track."""
    if kind == VIDEO:
        out = bytes([0x80 | (KEY_FRAME if key else INTER_FRAME) << 4 | VIDEO_MULTITRACK])
    else:
        out = bytes([0x90 | AUDIO_MULTITRACK])
    out += bytes([multitrack_type << 4 | packet_type])
    if multitrack_type != MANY_TRACKS_MANY_CODECS:
        out += tracks[0][1]
    for track_id, fourcc, payload in tracks:
        if multitrack_type == MANY_TRACKS_MANY_CODECS:
            out += fourcc
        out += bytes([track_id])
        if multitrack_type != ONE_TRACK:
            out += len(payload).to_bytes(3, "big")
        out += payload
    return out


# ---------------------------------------------------------------- media from MP4 files


def _fourcc(track):
    return track.sample_entry.encode("latin-1")


def sequence_config(track):
    """The SequenceStart payload: the record as the MP4 box holds it (vpcC with its version and
    flags, as ffmpeg's FLV muxer sends it), for Opus the OpusHead built from dOps, for FLAC the
    "fLaC" signature and the metadata blocks (STREAMINFO first) of dfLa, for AAC the
    AudioSpecificConfig; None for AC-3 / E-AC-3, whose frames describe themselves."""
    if track.sample_entry in ("ac-3", "ec-3"):
        return None
    if track.sample_entry == "mp4a":
        return mp4samples.esds_audio_specific_config(track.config)
    if track.sample_entry == "Opus":
        return mp4samples.opus_head(track.config)
    if track.sample_entry == "fLaC":
        return b"fLaC" + track.config[4:]  # dfLa: version and flags, then the metadata blocks
    return track.config


def video_track(path):
    return next(t for t in mp4samples.read_tracks(path) if t.handler == "vide")


def audio_track(path):
    return next(t for t in mp4samples.read_tracks(path) if t.handler == "soun")


def single_track_tags(video=None, audio=None, mod_ex_every=0):
    """Plain E-RTMP v1 tags for one video and one audio track: SequenceStarts, then the frames
    merged by decode time. MOD_EX_EVERY > 0 puts a TimestampOffsetNano ModEx on every n-th frame."""
    tags = []
    if video is not None:
        tags.append((VIDEO, 0, video_tag(_fourcc(video), SEQUENCE_START, sequence_config(video))))
    if audio is not None and sequence_config(audio) is not None:
        tags.append((AUDIO, 0, audio_tag(_fourcc(audio), SEQUENCE_START, sequence_config(audio))))
    frames = []
    for n, (dts, cts, key, data) in enumerate(video.samples if video else []):
        fourcc = _fourcc(video)
        mod_ex = b"\x00\x01\x02" if mod_ex_every and n % mod_ex_every == 1 else None
        frames.append((VIDEO, dts, video_tag(fourcc, frame_packet_type(fourcc, cts), data, key, cts, mod_ex)))
    for n, (dts, _, _, data) in enumerate(audio.samples if audio else []):
        mod_ex = b"\x00\x03\xe8" if mod_ex_every and n % mod_ex_every == 1 else None
        frames.append((AUDIO, dts, audio_tag(_fourcc(audio), CODED_FRAMES, data, mod_ex)))
    frames.sort(key=lambda t: (t[1], t[0]))
    return tags + frames


def multitrack_tags(video0, video1, audio, video_layout=ONE_TRACK):
    """E-RTMP v2 tags: video track 0 (VIDEO0) and track 1 (VIDEO1), either as OneTrack tags of their
    own (track 1's SequenceStart then travels alone) or together in ManyTracksManyCodecs tags; audio
    as ManyTracks tags carrying the same Opus packets as tracks 0 and 1."""
    tags = []
    configs = [(0, _fourcc(video0), sequence_config(video0)), (1, _fourcc(video1), sequence_config(video1))]
    if video_layout == ONE_TRACK:
        tags += [(VIDEO, 0, multitrack_tag(VIDEO, ONE_TRACK, SEQUENCE_START, [c])) for c in configs]
    else:
        tags.append((VIDEO, 0, multitrack_tag(VIDEO, MANY_TRACKS_MANY_CODECS, SEQUENCE_START, configs)))
    opus, head = _fourcc(audio), sequence_config(audio)
    tags.append((AUDIO, 0, multitrack_tag(AUDIO, MANY_TRACKS, SEQUENCE_START, [(0, opus, head), (1, opus, head)])))
    frames = []
    for s0, s1 in zip(video0.samples, video1.samples):
        parts = []
        for track_id, track, (dts, cts, key, data) in ((0, video0, s0), (1, video1, s1)):
            fourcc = _fourcc(track)
            # Multitrack CodedFrames: the composition time rides in each NALU track's payload.
            parts.append((track_id, fourcc, video_payload(fourcc, CODED_FRAMES, data, cts)))
        dts, key = s0[0], s0[2] and s1[2]
        if video_layout == ONE_TRACK:
            frames += [(VIDEO, dts, multitrack_tag(VIDEO, ONE_TRACK, CODED_FRAMES, [p], key)) for p in parts]
        else:
            frames.append((VIDEO, dts, multitrack_tag(VIDEO, MANY_TRACKS_MANY_CODECS, CODED_FRAMES, parts, key)))
    for dts, _, _, data in audio.samples:
        frames.append((AUDIO, dts, multitrack_tag(AUDIO, MANY_TRACKS, CODED_FRAMES, [(0, opus, data), (1, opus, data)])))
    frames.sort(key=lambda t: (t[1], t[0]))
    return tags + frames


def multitrack_audio_tags(video, audios):
    """Plain tags for VIDEO and audio tracks 0, 1, ... (AUDIOS, each with its own codec and frame
    timing) as OneTrack Multitrack tags: SequenceStarts first, then every frame by decode time."""
    tags = single_track_tags(video)
    configs, frames = tags[:1], tags[1:]
    for track_id, audio in enumerate(audios):
        fourcc, config = _fourcc(audio), sequence_config(audio)
        if config is not None:
            configs.append((AUDIO, 0, multitrack_tag(AUDIO, ONE_TRACK, SEQUENCE_START, [(track_id, fourcc, config)])))
        for dts, _, _, data in audio.samples:
            frames.append((AUDIO, dts, multitrack_tag(AUDIO, ONE_TRACK, CODED_FRAMES, [(track_id, fourcc, data)])))
    frames.sort(key=lambda t: (t[1], t[0]))
    return configs + frames


# ---------------------------------------------------------------- sending


CLIENT_CAPABILITIES = {
    "fourCcList": ["hvc1", "av01", "vp09", "Opus"],
    "videoFourCcInfoMap": {"hvc1": 4, "av01": 4, "vp09": 4},
    "audioFourCcInfoMap": {"Opus": 4},
    "capsEx": 2 | 4,  # Multitrack, ModEx
}


class ErtmpPublisher:
    """Publishes a list of tags on a thread, paced by their timestamps. Keeps the connect reply."""

    def __init__(self, host, port, stream, tags, app="live", realtime=True, linger=2.0):
        self.client = RtmpClient(host, port)
        self.tags = tags
        self.realtime = realtime
        self.linger = linger
        self.connect_reply = self.client.connect(app, f"rtmp://{host}:{port}/{app}", CLIENT_CAPABILITIES)
        assert self.connect_reply[0] == "_result", self.connect_reply
        self.stream_id = int(self.client.create_stream()[3])
        info = self.client.status_after("publish", stream, "live", stream_id=self.stream_id)
        assert info.get("code") == "NetStream.Publish.Start", info
        self.error = None
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _run(self):
        start = time.monotonic()
        try:
            for mtype, ts, body in self.tags:
                if self._stop.is_set():
                    return
                if self.realtime:
                    delay = start + ts / 1000.0 - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                self.client.send_media(mtype, ts, body, self.stream_id)
                self.sent += 1
            self._stop.wait(self.linger)
        except OSError as e:
            self.error = e

    def wait(self, timeout):
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "publisher still sending"
        assert self.error is None, self.error

    def close(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.client.close()
