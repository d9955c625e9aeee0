"""Several nodes on one Redis (PRODUCT.md section 12): one publisher per stream across the nodes,
failover when the owner dies, cluster-wide status, drop and channels, the cluster's stream list,
and what an unreachable Redis does and does not stop. A real redis-server runs on a free port."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from apiclient import call, data, wait_api
from harness import HOST, free_port, port_open, wait_live
from rtmpraw import RtmpClient, wait_closed
from test_takeover import send_some_audio

LEASE = 2
STALE = 2


class Redis:
    """redis-server on a free port, no persistence; stop() and start() keep the port."""

    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(self.workdir, "redis.log")

    def url(self):
        return f"redis://{HOST}:{self.port}/0"

    def start(self):
        binary = shutil.which("redis-server")
        assert binary, "redis-server is missing: apt-get install redis-server (scripts/setup.sh --test)"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", HOST, "--save", "",
                                      "--appendonly", "no", "--dir", self.workdir],
                                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"redis-server exited: {open(self.log_path).read()[-2000:]}"
            if port_open(self.port):
                return self
            time.sleep(0.05)
        raise AssertionError("redis-server did not open its port within 10 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture
def redis(tmp_path):
    r = Redis(tmp_path).start()
    yield r
    r.stop()


def node_config(redis, node_id, **extra):
    config = {"cluster": {"redis": redis.url(), "node_id": node_id, "lease": LEASE},
              "limits": {"publish_timeout": 60, "stale_publisher": STALE}}
    for key, value in extra.items():
        config[key] = {**config.get(key, {}), **value}
    return config


def wait_for(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def start_nodes(servers, redis, *names, **extra):
    nodes = [servers.start(node_config(redis, name, **extra)) for name in names]
    for node in nodes:
        wait_api(node)
        wait_for(lambda n=node: "loaded from Redis" in n.log_text(), 10, f"{node.config['cluster']['node_id']} on Redis")
    return nodes


def try_publish(server, stream, app="live"):
    """(code of the publish answer, the client): a raw RTMP publisher that sends no media by itself."""
    c = RtmpClient(HOST, server.rtmp_port)
    assert c.connect(app, f"rtmp://{HOST}:{server.rtmp_port}/{app}")[0] == "_result"
    sid = int(c.create_stream()[3])
    info = c.status_after("publish", stream, app, stream_id=sid)
    return (info or {}).get("code"), c


def accepted(server, stream, app="live"):
    """The publisher if this publish is accepted, else None (its connection closed)."""
    code, c = try_publish(server, stream, app)
    if code == "NetStream.Publish.Start":
        return c
    c.close()
    return None


def publish_ok(server, stream, app="live"):
    code, c = try_publish(server, stream, app)
    assert code == "NetStream.Publish.Start", f"publish of {stream} answered {code}\n{server.log_text()[-3000:]}"
    return c


def publish_refused(server, stream, expected):
    code, c = try_publish(server, stream)
    c.close()
    assert code == expected, f"publish of {stream} answered {code}, expected {expected}"


def streams(server):
    return {s["stream"]: s for s in data(server, "GET", "/api/v1/streams")}


def test_one_publisher_per_stream_across_nodes(servers, redis):
    a, b = start_nodes(servers, redis, "node-a", "node-b")
    first = publish_ok(a, "cam")
    send_some_audio(first)
    publish_refused(b, "cam", "NetStream.Publish.BadName")
    wait_for(lambda: "already publishing on node node-a" in b.log_text(), 5, "the refusal's log line on node-b")
    assert not wait_closed(first.sock, 0.3), "the first publisher was cut"
    # Both nodes list the stream with its owner; the owner adds its own stats.
    on_b = streams(b)["cam"]
    assert on_b["online"] and on_b["node"] == "node-a" and on_b["publisher"]["ip"] == HOST, on_b
    on_a = streams(a)["cam"]
    assert on_a["node"] == "node-a" and on_a["bytes_in"] > 0, on_a
    assert data(b, "GET", "/api/v1/streams/live/cam")["node"] == "node-a"
    # A clean unpublish releases the claim at once: the other node may publish it now.
    first.close()
    wait_for(lambda: "cam" not in streams(a), 5, "the stream to end on node-a")
    second = wait_for(lambda: accepted(b, "cam"), 5, "a publish on node-b after the release")
    assert streams(a)["cam"]["node"] == "node-b"
    second.close()


def test_owner_killed_then_another_node_takes_the_stream_within_the_lease(servers, redis):
    a, b = start_nodes(servers, redis, "node-a", "node-b")
    owner = publish_ok(a, "cam")
    send_some_audio(owner)
    publish_refused(b, "cam", "NetStream.Publish.BadName")
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(timeout=5)
    a.stopped = True
    killed_at = time.monotonic()
    publisher = wait_for(lambda: accepted(b, "cam"), LEASE + 2, "a publish on node-b within lease + 2 s")
    failover = time.monotonic() - killed_at
    print(f"failover: publish accepted on node-b {failover:.2f} s after kill -9 of the owner (lease {LEASE} s)")
    publisher.close()
    owner.close()


def test_disable_enable_and_drop_through_any_node(servers, redis):
    a, b = start_nodes(servers, redis, "node-a", "node-b")
    owner = publish_ok(a, "cam")
    send_some_audio(owner)
    # Disabled through node-b: node-a cuts its publisher within 2 s and refuses it after.
    changed = time.monotonic()
    answer = data(b, "PUT", "/api/v1/streams/live/cam/status", {"status": "disabled"})
    assert answer["status"] == "disabled"
    assert wait_closed(owner.sock, 2), "node-a did not cut the disabled stream within 2 s"
    print(f"disable through node-b cut node-a's publisher after {time.monotonic() - changed:.2f} s")
    publish_refused(a, "cam", "NetStream.Publish.Rejected")
    assert data(a, "GET", "/api/v1/streams/live/cam")["status"] == "disabled"
    disabled_on_a = [s["stream"] for s in data(a, "GET", "/api/v1/streams?state=disabled")]
    assert disabled_on_a == ["cam"], disabled_on_a
    # Enabled through node-b: node-a accepts it again within 2 s.
    data(b, "PUT", "/api/v1/streams/live/cam/status", {"status": "enabled"})
    again = wait_for(lambda: accepted(a, "cam"), 2, "node-a to accept the enabled stream")
    send_some_audio(again)
    # Dropped through node-b: the owner cuts its publisher, which may publish again.
    wait_for(lambda: "cam" in streams(b), 5, "node-b to list the stream")
    data(b, "POST", "/api/v1/streams/live/cam/drop")
    assert wait_closed(again.sock, 2), "node-a did not cut the dropped stream within 2 s"
    status, _ = call(b, "POST", "/api/v1/streams/live/nothing/drop")
    assert status == 404


def test_channels_are_cluster_wide(servers, redis):
    apps = {"live": {"mode": "channel"}}
    a, b = start_nodes(servers, redis, "node-a", "node-b", apps=apps)
    publish_refused(a, "show", "NetStream.Publish.Rejected")
    data(b, "POST", "/api/v1/apps/live/channels", {"id": "show"})
    publisher = wait_for(lambda: accepted(a, "show"), 2, "node-a to accept a channel created on node-b")
    assert [c["id"] for c in data(a, "GET", "/api/v1/apps/live/channels")] == ["show"]
    send_some_audio(publisher)
    # Deleted through node-b: node-a cuts the channel's publisher.
    data(b, "DELETE", "/api/v1/apps/live/channels/show")
    assert wait_closed(publisher.sock, 2), "node-a did not cut the deleted channel within 2 s"


def test_redis_unreachable_keeps_live_streams_and_refuses_new_ones(servers, redis, clients):
    a, b = start_nodes(servers, redis, "node-a", "node-b")
    encoder = clients.publish(a, "cam")
    wait_live(a, "cam")
    redis.stop()
    wait_for(lambda: "connection down" in a.log_text(), 5, "node-a to notice Redis is gone")
    # The live stream goes on past the lease: a player joining now gets it, the encoder is not cut.
    time.sleep(LEASE + 1)
    player = clients.flv(a, "cam")
    assert player.status == 200
    player.read_flv_header(timeout=5)
    first = player.read_tag(timeout=5)
    assert first is not None, "no media from the live stream while Redis is down"
    assert encoder.poll() is None, f"the encoder was cut while Redis was down\n{encoder.output()}"
    # A new publish is refused, with a log line naming the stream.
    publish_refused(a, "other", "NetStream.Publish.Rejected")
    assert "publish of live/other refused: Redis" in a.log_text()
    publish_refused(b, "cam", "NetStream.Publish.Rejected")
    # Redis back (empty: no persistence): the node claims its live stream again, new publishes work.
    redis.start()
    wait_for(lambda: a.log_text().count("command connection up") >= 2, 10, "node-a to reconnect")
    wait_for(lambda: "cam" in streams(b), 10, "node-a's stream to be claimed again")
    assert streams(b)["cam"]["node"] == "node-a"
    publish_refused(b, "cam", "NetStream.Publish.BadName")
    fresh = wait_for(lambda: accepted(b, "other"), 10, "a new publish after Redis came back")
    fresh.close()


def test_a_node_started_without_redis_refuses_publishes_until_it_connects(servers, tmp_path):
    r = Redis(tmp_path)  # not started yet
    a = servers.start(node_config(r, "node-a"))
    wait_api(a)
    publish_refused(a, "cam", "NetStream.Publish.Rejected")
    r.start()
    try:
        c = wait_for(lambda: accepted(a, "cam"), 10, "a publish once Redis is up")
        c.close()
    finally:
        r.stop()


def test_stale_publisher_on_another_node_is_taken_over(servers, redis):
    a, b = start_nodes(servers, redis, "node-a", "node-b")
    old = publish_ok(a, "cam")
    send_some_audio(old)
    # The encoder's network drops: node-a's connection stays open but silent. Node-b refuses until
    # node-a's renew has told Redis about the silence (stale_publisher, then at most a second).
    new = wait_for(lambda: accepted(b, "cam"), STALE + 4, "node-b to take the stale stream over")
    assert wait_closed(old.sock, LEASE + 2), "node-a did not cut its replaced publisher"
    wait_for(lambda: "was taken over by node 'node-b'" in a.log_text(), 5, "node-a's log line")
    assert streams(a)["cam"]["node"] == "node-b"
    new.close()


NGINX_CONF = """daemon off;
user {user};
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    # As docs/cluster.md shows it.
    proxy_cache_path {dir}/cache levels=1:2 keys_zone=hls:10m max_size=100m inactive=1m use_temp_path=off;
    upstream liveorigin_http {{ server {upstream}; }}
    server {{
        listen {host}:{port};
        location ~ \\.m3u8$ {{
            proxy_pass http://liveorigin_http;
            proxy_cache hls;
            proxy_cache_valid 200 1s;
            proxy_cache_lock on;
            proxy_cache_use_stale updating;
            add_header X-Cache $upstream_cache_status;
        }}
        location ~ \\.ts$ {{
            proxy_pass http://liveorigin_http;
            proxy_cache hls;
            proxy_cache_valid 200 60s;
            proxy_cache_lock on;
            add_header X-Cache $upstream_cache_status;
        }}
    }}
}}
"""


def test_nginx_proxy_cache_in_front_of_hls(servers, redis, clients, tmp_path):
    from test_hls import get, parse_playlist, wait_playlist
    a, = start_nodes(servers, redis, "node-a")
    clients.publish(a, "cam")
    wait_playlist(a, "cam", 1)
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    port = free_port()
    # The workers write the cache into this test's folder: as the test's own user.
    import pwd
    (nginx_dir / "nginx.conf").write_text(NGINX_CONF.format(user=pwd.getpwuid(os.getuid()).pw_name, dir=nginx_dir,
                                                            host=HOST, port=port,
                                                            upstream=f"{HOST}:{a.http_port}"))
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.access(binary, os.X_OK), "nginx is missing: apt-get install nginx (scripts/setup.sh --test)"
    proc = subprocess.Popen([binary, "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: port_open(port) or proc.poll() is not None, 10, "nginx to listen")
        assert proc.poll() is None, (nginx_dir / "error.log").read_text()

        class Tier:
            http_port = port

        status, _, body = get(Tier, "/live/cam.m3u8")
        assert status == 200, body
        segment = "/live/" + parse_playlist(body.decode())["segments"][-1][1]
        first = get(Tier, segment)
        second = get(Tier, segment)
        assert first[0] == second[0] == 200
        assert first[2] == second[2] and first[2][:1] == b"\x47", "not the same MPEG-TS segment"
        assert first[1].get("x-cache") == "MISS" and second[1].get("x-cache") == "HIT", (first[1], second[1])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
