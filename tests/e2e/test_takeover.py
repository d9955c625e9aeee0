"""Stale publisher takeover (PRODUCT.md section 3): an encoder that reconnects after a network drop
takes its stream over from the dead connection the server still holds, once that one has sent no
media for limits.stale_publisher; a publisher that is still sending keeps its stream."""
import struct
import time

from harness import HOST, wait_live
from rtmpraw import RtmpClient, wait_closed
from test_callbacks import notify_config, receivers, start_publish  # noqa: F401 (receivers: a fixture)

STALE = 2


def media_message(stream_id, msg_type, timestamp, body, csid=6):
    header = bytes([csid]) + timestamp.to_bytes(3, "big") + len(body).to_bytes(3, "big") + bytes([msg_type]) \
        + struct.pack("<I", stream_id)
    out = header + body[:128]
    for i in range(128, len(body), 128):
        out += bytes([0xC0 | csid]) + body[i:i + 128]
    return out


def send_some_audio(client, stream_id=1, count=10):
    """AAC: a sequence header, then frames."""
    data = media_message(stream_id, 8, 0, b"\xaf\x00\x12\x10")
    for i in range(count):
        data += media_message(stream_id, 8, 23 * i, b"\xaf\x01" + bytes(40))
    client.sock.sendall(data)


def unpublish_reasons(requests, stream):
    return [r["body"]["reason"] for r in requests
            if r["body"]["event"] == "unpublish" and r["body"]["stream_id"] == stream]


def test_silent_publisher_is_replaced_by_a_reconnecting_encoder(servers, receivers, clients):
    rx = receivers().start()
    server = servers.start({**notify_config(rx.url()),
                            "limits": {"publish_timeout": 60, "stale_publisher": STALE}})
    old = start_publish(server, "cam")
    send_some_audio(old)
    rx.wait_for(lambda rs: any(r["body"]["event"] == "publish" for r in rs), 10, "the first publish")
    # The network drops: the old connection stays open but nothing more comes through it.
    time.sleep(STALE + 0.5)

    encoder = clients.publish(server, "cam")
    rx.wait_for(lambda rs: "replaced" in unpublish_reasons(rs, "cam"), 15, "unpublish reason replaced")
    assert wait_closed(old.sock, 5), "the replaced publisher's connection is still open"
    wait_live(server, "cam")
    assert encoder.poll() is None, f"the reconnecting encoder was refused\n{encoder.output()}"
    # The new publish callback is delivered after the stream is live: wait for it, do not race it.
    rx.wait_for(lambda rs: sum(r["body"]["event"] == "publish" for r in rs) == 2, 10, "the second publish")
    assert unpublish_reasons(rx.requests, "cam") == ["replaced"]
    assert "takes the stream over" in server.log_text()
    old.close()


def test_active_publisher_keeps_its_stream(servers):
    server = servers.start({"limits": {"publish_timeout": 60, "stale_publisher": STALE}})
    first = start_publish(server, "cam")
    second = None
    try:
        # The first publisher keeps sending past the stale limit...
        deadline = time.monotonic() + STALE + 1
        while time.monotonic() < deadline:
            send_some_audio(first, count=2)
            time.sleep(0.1)
        # ... so a second publish is refused as before.
        second = RtmpClient(HOST, server.rtmp_port)
        assert second.connect("live", f"rtmp://{HOST}:{server.rtmp_port}/live")[0] == "_result"
        sid = int(second.create_stream()[3])
        info = second.status_after("publish", "cam", "live", stream_id=sid)
        assert info and info["code"] == "NetStream.Publish.BadName", info
        send_some_audio(first, count=2)
        assert not wait_closed(first.sock, 0.5), "the active publisher was cut"
    finally:
        first.close()
        if second:
            second.close()
