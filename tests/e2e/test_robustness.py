"""Bad input never crashes, hangs or harms other streams (PRODUCT.md section 8)."""
import random
import socket
import time

from harness import HOST, ffprobe, streams_by_type, wait_live
from rtmpraw import RtmpClient, handshake, wait_closed

CLOSE_TIMEOUT = 20  # a connection that sent garbage must be closed (or answered 4xx) by then


def garbage(seed, size=64 * 1024):
    return random.Random(seed).randbytes(size)


def send_ignoring_close(sock, data):
    """Send DATA; the server may rightly close or reset before it has read it all."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


def http_reaction(port, data, timeout=CLOSE_TIMEOUT):
    """What the server does with raw DATA on its HTTP port: its status line, 'closed' or 'silent'."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        send_ignoring_close(s, data)
        deadline = time.monotonic() + timeout
        got = b""
        closed = False
        while b"\r\n" not in got and time.monotonic() < deadline:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                break
            except ConnectionError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            got += chunk
        if got:
            return got.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        return "closed" if closed else "silent"


def assert_rejected(reaction, what):
    if reaction == "closed":
        return
    parts = reaction.split(" ")
    assert len(parts) >= 2 and parts[0].startswith("HTTP/1.") and parts[1].isdigit() \
        and 400 <= int(parts[1]) < 500, f"{what}: expected a 4xx answer or a close, got {reaction!r}"


def still_healthy(server, clients, player, name):
    """The server is alive, the existing player is still fed, and a new publish + play works."""
    assert server.alive(), f"liveorigin died (exit {server.proc.poll()})\n{server.log_tail()}"
    tags, eof = player.read_tags_for(2)
    assert not eof and tags, "the healthy stream's player was cut while others sent garbage"
    clients.publish(server, name)
    wait_live(server, name)
    rc, probe, err = ffprobe(server.flv_url(name))
    assert rc == 0, f"ffprobe of a fresh stream failed after the garbage ({rc}): {err}"
    assert "video" in streams_by_type(probe), probe


def healthy_stream(server, clients):
    clients.publish(server, "ok")
    wait_live(server, "ok")
    player = clients.flv(server, "ok")
    assert player.status == 200
    tags, eof = player.read_tags_for(1)
    assert tags and not eof
    return player


def test_random_bytes_to_rtmp_port(server, clients):
    player = healthy_stream(server, clients)
    not_closed = []
    for seed, first in ((1, 0xFF), (2, 0x03), (3, 0x00), (4, 0x03), (5, 0x06)):
        data = bytes([first]) + garbage(seed)[1:]
        with socket.create_connection((HOST, server.rtmp_port), timeout=10) as s:
            send_ignoring_close(s, data)
            if not wait_closed(s, CLOSE_TIMEOUT):
                not_closed.append(f"seed {seed} first byte {first:#x}")
    still_healthy(server, clients, player, "after")
    assert not not_closed, f"RTMP connections that sent 64 KiB of garbage were left open: {not_closed}"


def test_rtmp_handshake_then_garbage(server, clients):
    player = healthy_stream(server, clients)
    not_closed = []
    for seed in (11, 12, 13):
        with socket.create_connection((HOST, server.rtmp_port), timeout=10) as s:
            handshake(s)
            send_ignoring_close(s, garbage(seed))
            if not wait_closed(s, CLOSE_TIMEOUT):
                not_closed.append(seed)
    still_healthy(server, clients, player, "after")
    assert not not_closed, f"garbage after a good handshake left the connection open (seeds {not_closed})"


def test_random_bytes_and_bad_requests_to_http_port(server, clients):
    player = healthy_stream(server, clients)
    cases = [(f"64 KiB random #{seed}", garbage(seed)) for seed in (21, 22, 23, 24)]
    cases += [
        ("garbage request line", b"GARBAGE\r\n\r\n"),
        ("request line without target", b"GET\r\n\r\n"),
        ("binary request line", b"\x00\x01\x02\x03 / HTTP/1.1\r\n\r\n"),
        ("bad version", b"GET /live/ok.flv HTTP/7.3\r\nHost: x\r\n\r\n"),
        ("huge header", b"GET /live/ok.flv HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n"),
        ("header without colon", b"GET /live/ok.flv HTTP/1.1\r\nHost x\r\n\r\n"),
        ("bad content-length", b"POST /live/ok.flv HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
    ]
    for what, data in cases:
        assert_rejected(http_reaction(server.http_port, data), what)
    still_healthy(server, clients, player, "after")


def test_abandoned_connections(server, clients):
    """Clients that vanish at every step: mid-handshake, mid-request, mid-stream."""
    player = healthy_stream(server, clients)
    for data in (b"", b"\x03", b"\x03" + bytes(700), b"GET /live/ok.flv HTTP/1.1\r\n"):
        for port in (server.rtmp_port, server.http_port):
            with socket.create_connection((HOST, port), timeout=5) as s:
                send_ignoring_close(s, data)
    # After S0S1S2, without ever sending C2.
    with socket.create_connection((HOST, server.rtmp_port), timeout=5) as s:
        s.sendall(b"\x03" + bytes(1536))
        time.sleep(0.2)
    # HTTP-FLV players that leave mid-stream, some of them with a reset.
    for i in range(20):
        c = clients.flv(server, "ok")
        assert c.status == 200
        c.read_tag(timeout=5)
        if i % 2:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()
    still_healthy(server, clients, player, "after")


# A minimal HEVCDecoderConfigurationRecord (4-byte NAL lengths, one 2-byte VPS).
TINY_HVCC = bytes([1] + [0] * 20 + [3]) + bytes([1, 0x20, 0, 1, 0, 2, 0x40, 0x01])


def test_truncated_enhanced_video_tags_do_not_kill_the_server(server, clients):
    # Enhanced RTMP CodedFrames of 'hvc1' / 'avc1' carry a 3-byte composition time after the
    # FourCC; tags that end inside it went to the HLS muxer (on by default) as frames.
    player = healthy_stream(server, clients)
    c = RtmpClient(HOST, server.rtmp_port)
    try:
        sid = c.publish("cut")
        c.send_media(9, 0, bytes([0x90]) + b"hvc1" + TINY_HVCC, sid)
        for t, cut in enumerate((b"\x00", b"", b"\x00\x00")):
            c.send_media(9, 40 * (t + 1), bytes([0x91]) + b"hvc1" + cut, sid)
        c.send_media(9, 200, bytes([0x97]) + b"avc1", sid)  # AVC end of sequence, cut too
        # Whatever the server does with them, it answers a ping-like command afterwards.
        reply = c._call("releaseStream", None, "cut2")
        assert reply is None or reply[0] in ("_result", "_error")
    except (EOFError, ConnectionError):
        pass  # closing the publisher is fine; dying is not
    finally:
        c.close()
    still_healthy(server, clients, player, "after_cut")
