"""Just enough raw RTMP for the tests: the simple handshake (to misbehave right after it), AMF0, and a
tiny client that reports the onStatus codes a publish or play gets."""
import os
import socket
import struct
import time

HANDSHAKE_SIZE = 1536


def recv_exact(sock, n, deadline):
    out = b""
    while len(out) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout(f"got {len(out)} of {n} bytes")
        sock.settimeout(remaining)
        data = sock.recv(n - len(out))
        if not data:
            raise EOFError(f"closed after {len(out)} of {n} bytes")
        out += data
    return out


def handshake(sock, timeout=10.0):
    """C0C1 -> S0S1S2 -> C2. Returns S1."""
    deadline = time.monotonic() + timeout
    c1 = b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00" + os.urandom(HANDSHAKE_SIZE - 8)
    sock.sendall(b"\x03" + c1)
    s0 = recv_exact(sock, 1, deadline)
    assert s0 == b"\x03", f"S0 is {s0!r}, expected version 3"
    s1 = recv_exact(sock, HANDSHAKE_SIZE, deadline)
    recv_exact(sock, HANDSHAKE_SIZE, deadline)  # S2
    sock.sendall(s1)  # C2 echoes S1
    return s1


def wait_closed(sock, timeout):
    """True if the peer closes (EOF or reset) within TIMEOUT s; reads and drops anything sent."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except ConnectionError:
            return True


# ---------------------------------------------------------------- AMF0


def amf_encode(v):
    if v is None:
        return b"\x05"
    if isinstance(v, bool):
        return b"\x01" + (b"\x01" if v else b"\x00")
    if isinstance(v, (int, float)):
        return b"\x00" + struct.pack(">d", float(v))
    if isinstance(v, str):
        b = v.encode()
        return b"\x02" + struct.pack(">H", len(b)) + b
    if isinstance(v, dict):
        out = b"\x03"
        for k, x in v.items():
            kb = k.encode()
            out += struct.pack(">H", len(kb)) + kb + amf_encode(x)
        return out + b"\x00\x00\x09"
    if isinstance(v, list):  # strict array
        return b"\x0a" + struct.pack(">I", len(v)) + b"".join(amf_encode(x) for x in v)
    raise TypeError(v)


def _amf_decode(data, i):
    t = data[i]
    i += 1
    if t == 0x00:
        return struct.unpack(">d", data[i:i + 8])[0], i + 8
    if t == 0x01:
        return data[i] != 0, i + 1
    if t == 0x02:
        n = struct.unpack(">H", data[i:i + 2])[0]
        return data[i + 2:i + 2 + n].decode("utf-8", "replace"), i + 2 + n
    if t in (0x03, 0x08):
        if t == 0x08:
            i += 4
        obj = {}
        while True:
            n = struct.unpack(">H", data[i:i + 2])[0]
            i += 2
            if n == 0 and data[i] == 0x09:
                return obj, i + 1
            k = data[i:i + n].decode("utf-8", "replace")
            obj[k], i = _amf_decode(data, i + n)
    if t in (0x05, 0x06):
        return None, i
    if t == 0x0A:
        n = struct.unpack(">I", data[i:i + 4])[0]
        i += 4
        arr = []
        for _ in range(n):
            x, i = _amf_decode(data, i)
            arr.append(x)
        return arr, i
    raise ValueError(f"AMF0 type {t:#x} not handled")


def amf_decode_all(data):
    out, i = [], 0
    while i < len(data):
        v, i = _amf_decode(data, i)
        out.append(v)
    return out


# ---------------------------------------------------------------- a tiny RTMP client


class RtmpClient:
    """connect / createStream / publish or play, reporting the onStatus codes the server sends."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self.in_chunk_size = 128
        self._prev = {}      # csid -> [timestamp, length, type, stream id]
        self._partial = {}   # csid -> bytes of the message being assembled
        self._buf = b""
        self.txn = 0
        handshake(self.sock, timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _exact(self, n, deadline):
        while len(self._buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("deadline")
            self.sock.settimeout(remaining)
            d = self.sock.recv(65536)
            if not d:
                raise EOFError("server closed the connection")
            self._buf += d
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def send_command(self, name, *args, stream_id=0):
        payload = b"".join(amf_encode(a) for a in (name, *args))
        csid = 3 if stream_id == 0 else 8
        header = bytes([csid]) + b"\x00\x00\x00" + len(payload).to_bytes(3, "big") + b"\x14" \
            + struct.pack("<I", stream_id)
        out = header + payload[:128]
        for i in range(128, len(payload), 128):
            out += bytes([0xC0 | csid]) + payload[i:i + 128]
        self.sock.sendall(out)

    def send_media(self, msg_type, timestamp, payload, stream_id=1):
        """One audio (8), video (9) or data (18) message on chunk stream 6, in 128-byte chunks."""
        csid = 6
        header = bytes([csid]) + (timestamp & 0xFFFFFF).to_bytes(3, "big") + len(payload).to_bytes(3, "big") \
            + bytes([msg_type]) + struct.pack("<I", stream_id)
        out = [header + payload[:128]]
        for i in range(128, len(payload), 128):
            out.append(bytes([0xC0 | csid]) + payload[i:i + 128])
        self.sock.sendall(b"".join(out))

    def publish(self, stream, app="live"):
        """connect, createStream and publish STREAM; returns the stream id (asserting success)."""
        host, port = self.sock.getpeername()[:2]
        reply = self.connect(app, f"rtmp://{host}:{port}/{app}")
        assert reply[0] == "_result", reply
        sid = int(self.create_stream()[3])
        info = self.status_after("publish", stream, "live", stream_id=sid)
        assert info.get("code") == "NetStream.Publish.Start", info
        return sid

    def read_message(self, deadline):
        """(type, stream id, payload) of the next complete message."""
        while True:
            b0 = self._exact(1, deadline)[0]
            fmt, csid = b0 >> 6, b0 & 0x3F
            if csid == 0:
                csid = 64 + self._exact(1, deadline)[0]
            elif csid == 1:
                x = self._exact(2, deadline)
                csid = 64 + x[0] + 256 * x[1]
            prev = self._prev.setdefault(csid, [0, 0, 0, 0])
            if fmt <= 2:
                ts = int.from_bytes(self._exact(3, deadline), "big")
                if fmt <= 1:
                    prev[1] = int.from_bytes(self._exact(3, deadline), "big")
                    prev[2] = self._exact(1, deadline)[0]
                if fmt == 0:
                    prev[3] = struct.unpack("<I", self._exact(4, deadline))[0]
                if ts == 0xFFFFFF:
                    self._exact(4, deadline)
            part = self._partial.get(csid, b"")
            take = min(self.in_chunk_size, prev[1] - len(part))
            part += self._exact(take, deadline)
            if len(part) < prev[1]:
                self._partial[csid] = part
                continue
            self._partial[csid] = b""
            if prev[2] == 1:
                self.in_chunk_size = struct.unpack(">I", part[:4])[0] & 0x7FFFFFFF
            return prev[2], prev[3], part

    def read_commands(self, timeout):
        """Yield decoded AMF0 commands (lists) until the deadline, EOF or the caller stops."""
        deadline = time.monotonic() + timeout
        while True:
            mtype, _, payload = self.read_message(deadline)
            if mtype == 0x14:
                yield amf_decode_all(payload)

    def _call(self, name, *args, stream_id=0, timeout=None):
        self.txn += 1
        txn = self.txn
        self.send_command(name, txn, *args, stream_id=stream_id)
        for cmd in self.read_commands(timeout or self.timeout):
            if cmd[0] in ("_result", "_error") and cmd[1] == txn:
                return cmd

    def connect(self, app, tc_url, extra=None):
        """connect with the usual properties and EXTRA ones (enhanced RTMP capabilities...)."""
        props = {"app": app, "type": "nonprivate", "flashVer": "FMLE/3.0", "tcUrl": tc_url}
        props.update(extra or {})
        return self._call("connect", props)

    def create_stream(self):
        return self._call("createStream", None)

    def status_after(self, name, *args, stream_id=1, timeout=None):
        """Send NAME (publish/play) and return the first onStatus info object."""
        self.txn += 1
        self.send_command(name, 0, None, *args, stream_id=stream_id)
        for cmd in self.read_commands(timeout or self.timeout):
            if cmd[0] == "onStatus" and len(cmd) >= 4 and isinstance(cmd[3], dict):
                return cmd[3]


def rtmp_status(host, port, app, stream, action, timeout=10.0):
    """Connect to APP and publish/play STREAM; returns ('status', info) / ('connect', reply) /
    ('closed', None) / ('timeout', None) describing how the server answered."""
    c = RtmpClient(host, port, timeout)
    try:
        reply = c.connect(app, f"rtmp://{host}:{port}/{app}")
        if reply[0] != "_result":
            return "connect", reply
        reply = c.create_stream()
        if reply[0] != "_result":
            return "createStream", reply
        sid = int(reply[3])
        args = (stream, "live") if action == "publish" else (stream,)
        if action == "publish":
            c.send_command("releaseStream", 0, None, stream)
            c.send_command("FCPublish", 0, None, stream)
        info = c.status_after(action, *args, stream_id=sid)
        return "status", info
    except EOFError:
        return "closed", None
    except ConnectionError:
        return "closed", None
    except socket.timeout:
        return "timeout", None
    finally:
        c.close()
