"""A minimal HTTP-FLV client over a raw socket, and an FLV tag reader.

FlvClient sends a GET, parses the response head, de-chunks a chunked body if needed, then reads
the FLV header and tags one by one, each with its arrival time. Every read has a deadline.
"""
import socket
import struct
import time

TAG_AUDIO = 8
TAG_VIDEO = 9
TAG_SCRIPT = 18


class Tag:
    __slots__ = ("type", "timestamp", "size", "body", "arrived")

    def __init__(self, type_, timestamp, size, body, arrived):
        self.type = type_
        self.timestamp = timestamp
        self.size = size
        self.body = body          # the first bytes of the tag body (64 unless asked otherwise)
        self.arrived = arrived    # time.monotonic() when the whole tag was read

    # video
    @property
    def is_video(self):
        return self.type == TAG_VIDEO

    @property
    def is_keyframe(self):
        return self.is_video and len(self.body) > 0 and (self.body[0] >> 4) == 1

    @property
    def video_codec(self):
        return self.body[0] & 0x0F if self.body else None

    @property
    def is_avc_sequence_header(self):
        return (self.is_video and len(self.body) >= 2 and self.video_codec == 7
                and self.body[1] == 0)

    # audio
    @property
    def is_audio(self):
        return self.type == TAG_AUDIO

    @property
    def sound_format(self):
        return self.body[0] >> 4 if self.body else None

    @property
    def is_aac_sequence_header(self):
        return (self.is_audio and len(self.body) >= 2 and self.sound_format == 10
                and self.body[1] == 0)

    @property
    def is_sequence_header(self):
        return self.is_avc_sequence_header or self.is_aac_sequence_header

    @property
    def is_script(self):
        return self.type == TAG_SCRIPT

    def __repr__(self):
        kind = {TAG_AUDIO: "audio", TAG_VIDEO: "video", TAG_SCRIPT: "script"}.get(self.type, self.type)
        extra = ""
        if self.is_sequence_header:
            extra = " seqhdr"
        elif self.is_keyframe:
            extra = " key"
        return f"<Tag {kind} ts={self.timestamp} size={self.size}{extra}>"


class HttpError(Exception):
    pass


class FlvClient:
    """GET an HTTP-FLV URL on a raw socket and read FLV tags from the body."""

    def __init__(self, host, port, path, timeout=10.0, extra_headers=None, body_limit=64, tls=None):
        """TLS: an ssl.SSLContext to speak HTTPS with."""
        self.timeout = timeout
        self.body_limit = body_limit  # bytes of each tag body kept (None: all)
        self.connected_at = time.monotonic()
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname=host)
        self._buf = b""
        self._chunked = False
        self._chunk_left = 0
        self._eof = False
        self.bytes_read = 0
        headers = {"Host": f"{host}:{port}", "User-Agent": "liveorigin-e2e", "Accept": "*/*"}
        headers.update(extra_headers or {})
        req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.sock.sendall(req.encode("latin-1"))
        self.status, self.reason, self.headers = self._read_head()
        te = self.headers.get("transfer-encoding", "").lower()
        self._chunked = "chunked" in te
        self.flv_header = None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # raw socket level
    def _recv(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("deadline passed")
        self.sock.settimeout(remaining)
        data = self.sock.recv(65536)
        if not data:
            self._eof = True
        return data

    def _read_head(self):
        deadline = time.monotonic() + self.timeout
        while b"\r\n\r\n" not in self._buf:
            if len(self._buf) > 65536:
                raise HttpError("response head too large")
            data = self._recv(deadline)
            if not data:
                raise HttpError(f"connection closed before response head: {self._buf!r}")
            self._buf += data
        head, self._buf = self._buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise HttpError(f"bad status line {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        return int(parts[1]), parts[2] if len(parts) > 2 else "", headers

    def _raw_exact(self, n, deadline):
        while len(self._buf) < n:
            data = self._recv(deadline)
            if not data:
                raise EOFError("connection closed")
            self._buf += data
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def _raw_line(self, deadline):
        while b"\r\n" not in self._buf:
            data = self._recv(deadline)
            if not data:
                raise EOFError("connection closed")
            self._buf += data
        line, self._buf = self._buf.split(b"\r\n", 1)
        return line

    # body level (de-chunked)
    def read_body(self, n, deadline):
        if not self._chunked:
            out = self._raw_exact(n, deadline)
            self.bytes_read += len(out)
            return out
        out = b""
        while len(out) < n:
            if self._chunk_left == 0:
                size_line = self._raw_line(deadline)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    raise EOFError("chunked body ended")
                self._chunk_left = size
            take = min(self._chunk_left, n - len(out))
            out += self._raw_exact(take, deadline)
            self._chunk_left -= take
            if self._chunk_left == 0:
                self._raw_exact(2, deadline)  # CRLF after the chunk data
        self.bytes_read += len(out)
        return out

    def read_some(self, timeout=None):
        """Read whatever body bytes arrive next (for byte counting). b'' on EOF."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            return self.read_body(1, deadline) + self._drain_buffered()
        except EOFError:
            return b""

    def _drain_buffered(self):
        if not self._chunked:
            out, self._buf = self._buf, b""
        else:
            take = min(self._chunk_left, len(self._buf))
            out, self._buf = self._buf[:take], self._buf[take:]
            self._chunk_left -= take
        self.bytes_read += len(out)
        return out

    # FLV level
    def read_flv_header(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        hdr = self.read_body(9, deadline)
        if hdr[:3] != b"FLV":
            raise AssertionError(f"body does not start with an FLV header: {hdr!r}")
        offset = struct.unpack(">I", hdr[5:9])[0]
        if offset > 9:
            self.read_body(offset - 9, deadline)
        prev0 = struct.unpack(">I", self.read_body(4, deadline))[0]
        self.flv_header = {"version": hdr[3], "flags": hdr[4], "offset": offset, "prev_tag_size0": prev0}
        return self.flv_header

    def read_tag(self, timeout=None):
        """Next tag, or None when the server ends the stream. Raises socket.timeout on deadline."""
        if self.flv_header is None:
            self.read_flv_header(timeout)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            th = self.read_body(11, deadline)
        except EOFError:
            return None
        type_ = th[0] & 0x1F
        size = int.from_bytes(th[1:4], "big")
        ts = int.from_bytes(th[4:7], "big") | (th[7] << 24)
        body = self.read_body(size, deadline)
        prev = struct.unpack(">I", self.read_body(4, deadline))[0]
        if prev != size + 11:
            raise AssertionError(f"PreviousTagSize {prev} != {size + 11} after tag type {type_}")
        return Tag(type_, ts, size, body[:self.body_limit] if self.body_limit else body, time.monotonic())

    def read_tags_for(self, seconds, per_read_timeout=5.0):
        """Read tags for SECONDS of wall time. Returns (tags, ended_by_eof)."""
        tags = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            tag = self.read_tag(timeout=per_read_timeout)
            if tag is None:
                return tags, True
            tags.append(tag)
        return tags, False


def read_file_tags(path):
    """Yield (offset_after_tag, Tag) for every tag of an FLV file."""
    with open(path, "rb") as f:
        data = f.read()
    offset = struct.unpack(">I", data[5:9])[0] + 4
    while offset + 11 <= len(data):
        th = data[offset:offset + 11]
        size = int.from_bytes(th[1:4], "big")
        ts = int.from_bytes(th[4:7], "big") | (th[7] << 24)
        end = offset + 11 + size + 4
        if end > len(data):
            break
        yield end, Tag(th[0] & 0x1F, ts, size, data[offset + 11:offset + 11 + min(size, 64)], 0.0)
        offset = end


def file_prefix_until(path, ms):
    """The bytes of an FLV file up to (not including) the first tag at or after MS milliseconds."""
    with open(path, "rb") as f:
        data = f.read()
    cut = struct.unpack(">I", data[5:9])[0] + 4
    for end, tag in read_file_tags(path):
        if tag.timestamp >= ms and tag.type in (TAG_AUDIO, TAG_VIDEO):
            break
        cut = end
    return data[:cut]
