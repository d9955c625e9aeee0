"""A peer that never reads costs bounded memory (PRODUCT.md section 8): the server stops reading a
connection whose replies are not read, and a close frees the connection at once."""
import socket
import struct
import threading
import time

import apiclient
from harness import HOST, memory_mib
from rtmpraw import amf_encode, handshake

HANDSHAKE_TIMEOUT = 6
FLOOD_SECONDS = 5
FLOOD_BYTES = 40 << 20  # the replies to this much would be 40 MiB, were they all kept


def connections(server):
    return apiclient.data(server, "GET", "/api/v1/stats")["connections"]


CHUNK_SIZE = 65536


def set_chunk_size():
    return b"\x02\x00\x00\x00\x00\x00\x04\x01" + struct.pack("<I", 0) + struct.pack(">I", CHUNK_SIZE)


def command(name, txn, csid=3):
    """An AMF0 command message in one chunk (after set_chunk_size)."""
    payload = amf_encode(name) + amf_encode(txn) + amf_encode(None)
    assert len(payload) <= CHUNK_SIZE
    return bytes([csid]) + b"\x00\x00\x00" + len(payload).to_bytes(3, "big") + b"\x14" + struct.pack("<I", 0) \
        + payload


def ping(value):
    body = struct.pack(">HI", 6, value)  # user control: PingRequest
    return b"\x02\x00\x00\x00" + len(body).to_bytes(3, "big") + b"\x04" + struct.pack("<I", 0) + body


def test_unread_replies_are_bounded_and_freed_on_close(servers):
    server = servers.start({"limits": {"handshake_timeout": HANDSHAKE_TIMEOUT, "idle_timeout": 30}})
    apiclient.wait_api(server)
    base = memory_mib(server)
    s = socket.create_connection((HOST, server.rtmp_port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    handshake(s)
    connected_at = time.monotonic()
    s.sendall(set_chunk_size())
    # Unknown commands with long names (each answered with an _error) and pings, never reading.
    flood = b"".join(command("x" * 30000 + str(i), i + 1) for i in range(16)) + ping(7) * 2000
    sent = [0]

    def send_for(seconds):
        s.settimeout(0.2)
        while time.monotonic() - connected_at < seconds and sent[0] < FLOOD_BYTES:
            try:
                sent[0] += s.send(flood)
            except socket.timeout:
                pass
            except OSError:
                return

    sender = threading.Thread(target=send_for, args=(FLOOD_SECONDS,))
    sender.start()
    peak = base
    while sender.is_alive():
        peak = max(peak, memory_mib(server))
        time.sleep(0.05)  # sampling interval
    sender.join()
    peak = max(peak, memory_mib(server))
    print(f"RSS {base:.1f} -> {peak:.1f} MiB, {sent[0]} bytes sent")
    assert sent[0] > 0
    assert peak - base < 20, f"RSS grew from {base:.1f} to {peak:.1f} MiB for one peer that never reads"

    # handshake_timeout closes it, and closed means gone: the connection is not held until idle_timeout.
    deadline = connected_at + HANDSHAKE_TIMEOUT + 3
    while connections(server) > 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert connections(server) == 0, f"connection still held after handshake_timeout\n{server.log_tail()}"
    assert "(handshake_timeout)" in server.log_text()
    s.close()
