"""Edge pull (PRODUCT.md section 12): a player on a node that does not own a stream gets it, the
node pulling it over RTMP from the owner named in Redis — one pull per stream per node, shared by
its players, stopped after they leave, resumed when the owner changes. Three nodes and a real
redis-server on loopback; real ffmpeg/ffprobe players."""
import http.client
import re
import signal
import time

from apiclient import data, valid
from harness import HOST, ffprobe, http_get, streams_by_type, wait_live
from test_callbacks import Receiver, notify_config
from test_cluster import LEASE, redis, start_nodes, wait_for  # noqa: F401 (redis is a fixture)

LINGER = 5  # cluster::EdgeOptions::linger
PULL_RETRY = 5  # how long a dropped pull tries again (the server's build_edge)


def metric(server, name, node=None):
    """A /metrics value of SERVER (0 when absent); NODE selects the node label."""
    conn = http.client.HTTPConnection(HOST, server.api_port, timeout=5)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": "Bearer t"})
        resp = conn.getresponse()
        status, body = resp.status, resp.read()
    finally:
        conn.close()
    assert status == 200, status
    label = f'{{node="{node}"}}' if node else ""
    match = re.search(rf"^{re.escape(name + label)} (\S+)$", body.decode(), re.M)
    return float(match.group(1)) if match else 0.0


def stream_row(server, stream="cam"):
    return {s["stream"]: s for s in data(server, "GET", "/api/v1/streams")}.get(stream)


def codecs(probe):
    by_type = streams_by_type(probe)
    return by_type["video"][0]["codec_name"], by_type["audio"][0]["codec_name"]


def probe_ok(url, what):
    rc, probe, err = ffprobe(url, timeout=40, rw_timeout=15)
    assert rc == 0, f"ffprobe of {what} failed: {err[-1500:]}"
    assert codecs(probe) == ("h264", "aac"), f"{what}: {codecs(probe)}"


def test_rtmp_flv_and_hls_players_on_other_nodes_share_one_pull(servers, redis, clients):  # noqa: F811
    a, b, c = start_nodes(servers, redis, "node-a", "node-b", "node-c")
    clients.publish(a, "cam")
    wait_live(a, "cam")
    # Decodable media with the publisher's codecs on each node that does not own the stream.
    probe_ok(b.rtmp_url("cam"), "RTMP on node-b")
    probe_ok(f"http://{HOST}:{c.http_port}/live/cam.flv", "HTTP-FLV on node-c")
    probe_ok(f"http://{HOST}:{b.http_port}/live/cam.m3u8", "HLS on node-b")
    probe_ok(f"http://{HOST}:{c.http_port}/live/cam.m3u8", "HLS on node-c")
    # Several players on node-b: three RTMP, one HTTP-FLV; one pull serves them all.
    players = [clients.rtmp_player(b, "cam") for _ in range(3)]
    flv = clients.flv(b, "cam")
    assert flv.status == 200
    flv.read_flv_header(timeout=10)
    assert flv.read_tag(timeout=10) is not None
    wait_for(lambda: metric(b, "liveorigin_cluster_pull_players") >= 4, 20, "four players on node-b's pull")
    assert metric(a, "liveorigin_cluster_pulls_served", "node-b") == 1
    assert metric(b, "liveorigin_cluster_pulls") == 1
    assert "edge pull, app play auth not asked" in a.log_text()
    # The pulled stream is not a second owner: every node lists node-a; node-b says where it pulls from.
    on_b = stream_row(b)
    assert on_b["node"] == "node-a" and on_b.get("pulled_from") == "node-a", on_b
    assert stream_row(a)["node"] == "node-a" and "pulled_from" not in stream_row(a)
    assert stream_row(c)["node"] == "node-a"
    # The players leave: the pull stops after the linger, and node-a serves it no more.
    for p in players:
        p.signal(signal.SIGTERM)
    flv.close()
    left = time.monotonic()
    wait_for(lambda: metric(b, "liveorigin_cluster_pulls") == 0, LINGER + 10, "node-b's pull to stop")
    stopped_after = time.monotonic() - left
    print(f"pull stopped {stopped_after:.1f} s after the last player left (linger {LINGER} s)")
    assert stopped_after >= LINGER - 1, f"the pull stopped after {stopped_after:.1f} s, before the linger"
    wait_for(lambda: metric(a, "liveorigin_cluster_pulls_served", "node-b") == 0, 5, "node-a to serve no pull to node-b")
    assert stream_row(b)["node"] == "node-a"  # still listed, from the claim
    assert "pull stopped" in b.log_text()


def test_players_get_the_end_when_the_owner_dies_then_play_from_the_new_owner(servers, redis, clients):  # noqa: F811
    a, b, c = start_nodes(servers, redis, "node-a", "node-b", "node-c")
    clients.publish(a, "cam")
    wait_live(a, "cam")
    rtmp_player = clients.rtmp_player(b, "cam")
    flv = clients.flv(b, "cam")
    assert flv.status == 200, http_get(b.http_port, "/live/cam.flv", read_body=False)
    flv.read_flv_header(timeout=10)
    assert flv.read_tag(timeout=10) is not None
    wait_for(lambda: metric(b, "liveorigin_cluster_pull_players") >= 2, 20, "both players on node-b's pull")
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(timeout=5)
    a.stopped = True
    killed = time.monotonic()
    # PRODUCT: when an owner dies, players on other nodes get the end of the stream (after the
    # pull's 5 s of trying again), and reconnect.
    tags, ended = flv.read_tags_for(PULL_RETRY + 15, per_read_timeout=PULL_RETRY + 10)
    assert ended, f"the HTTP-FLV player on node-b was not given the end of the stream ({len(tags)} tags after the kill)"
    ended_after = time.monotonic() - killed
    wait_for(lambda: rtmp_player.poll() is not None, 15, "the RTMP player on node-b to get the end of the stream")
    assert "no owner to pull from" in b.log_text()
    # The encoder reconnects to node-c, which accepts once node-a's claim has lapsed.
    def republished():
        encoder = clients.publish(c, "cam")
        try:
            wait_live(c, "cam", timeout=3)
            return encoder
        except AssertionError:
            encoder.signal(signal.SIGTERM)
            return None
    wait_for(republished, LEASE + 20, "the encoder to publish on node-c")
    accepted = time.monotonic() - killed
    # A player reconnecting to node-b gets the stream again, pulled from node-c.
    again = clients.flv(b, "cam")
    assert again.status == 200
    again.read_flv_header(timeout=10)
    deadline = time.monotonic() + 15
    got_video = False
    while time.monotonic() < deadline and not got_video:
        tag = again.read_tag(timeout=10)
        assert tag is not None, "node-b ended the stream again"
        got_video = tag.is_video
    assert got_video, "no video from node-c reached the new HTTP-FLV player on node-b"
    wait_for(lambda: stream_row(b)["node"] == "node-c", 10, "node-b's stream row to name node-c")
    print(f"owner killed: players on node-b ended after {ended_after:.1f} s, "
          f"a publish accepted on node-c after {accepted:.1f} s")


def test_play_auth_applies_to_edge_players_not_to_the_pull(servers, redis, clients):  # noqa: F811
    play_key = "playkey789"
    receiver = Receiver().start()
    try:
        extra = {"apps": {"secure": {"play_auth": {"key": play_key}}}, **notify_config(receiver.url())}
        a, b = start_nodes(servers, redis, "node-a", "node-b", **extra)
        clients.publish(a, "cam", app="secure")
        good = valid(play_key, "cam")
        wait_for(lambda: http_get(a.http_port, "/secure/cam.flv" + good, read_body=False)[0] == 200, 15,
                 "the stream on node-a")
        # Without a valid token node-b refuses its player (and does not pull for it).
        assert http_get(b.http_port, "/secure/cam.flv", read_body=False)[0] == 403
        assert http_get(b.http_port, "/secure/cam.m3u8")[0] == 403
        assert metric(b, "liveorigin_cluster_pull_starts_total") == 0
        # With one, it pulls: node-a admits the pull with the cluster credential, not the token.
        flv = clients.flv(b, "cam", app="secure", query=good)
        assert flv.status == 200
        flv.read_flv_header(timeout=10)
        assert flv.read_tag(timeout=10) is not None
        assert "edge pull, app play auth not asked" in a.log_text()
        # A forged credential is only an unsigned player to node-a: refused.
        forged = f"?cluster_node=node-b&cluster_expires={int(time.time()) + 60}&cluster_sig={'0' * 64}"
        assert http_get(a.http_port, "/secure/cam.flv" + forged, read_body=False)[0] == 403
        rc, _, err = ffprobe(f"rtmp://{HOST}:{a.rtmp_port}/secure/cam{forged}", timeout=20, rw_timeout=5)
        assert rc != 0, "a forged pull credential played on node-a"
        # One publish callback, from the owner only; none from node-b's pull.
        receiver.wait_for(lambda rs: any(r["body"]["event"] == "publish" for r in rs), 10, "the publish callback")
        flv.close()
        wait_for(lambda: metric(b, "liveorigin_cluster_pulls") == 0, LINGER + 10, "node-b's pull to stop")
        time.sleep(1)  # a callback from node-b's pull would be on its way by now
        publishes = receiver.bodies("publish")
        assert len(publishes) == 1, publishes
        assert receiver.bodies("unpublish") == []
        assert publishes[0]["app"] == "secure" and publishes[0]["stream_id"] == "cam", publishes
    finally:
        receiver.stop()
