"""Callbacks (PRODUCT.md section 6) against a real HTTP receiver: signed JSON events, retried until
{"code":0}, kept on disk across a kill -9, in order per stream, exactly one unpublish per session."""
import hashlib
import hmac
import http.client
import http.server
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from harness import HOST, free_port
from rtmpraw import RtmpClient

KEY = "notify-secret"
TOKEN = "t"  # api.token of the test config


# ---------------------------------------------------------------- the backend


class Receiver:
    """A real HTTP server on a thread. Answers from `script` in order (then `default`); records
    every request with its arrival time. Each answer is (status, body)."""

    def __init__(self, port=None, script=None, default=(200, '{"code":0}'), tls_context=None):
        self.port = port or free_port()
        self.script = list(script or [])
        self.default = default
        self.requests = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.tls_context = tls_context
        self.httpd = None

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                with receiver.cond:
                    status, body = receiver.script.pop(0) if receiver.script else receiver.default
                    receiver.requests.append({
                        "path": self.path, "content_type": self.headers.get("Content-Type"),
                        "body": json.loads(raw), "raw": raw, "at": time.monotonic(), "answer": status,
                        "signature": self.headers.get("X-Liveorigin-Signature")})
                    receiver.cond.notify_all()
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = http.server.ThreadingHTTPServer((HOST, self.port), Handler)
        if self.tls_context:
            self.httpd.socket = self.tls_context.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def url(self, scheme="http", host=HOST):
        return f"{scheme}://{host}:{self.port}/hook"

    def bodies(self, event=None):
        with self.lock:
            return [r["body"] for r in self.requests if event is None or r["body"]["event"] == event]

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self.requests):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    got = [(r["body"]["event"], r["body"].get("reason"), r["answer"]) for r in self.requests]
                    raise AssertionError(f"receiver: {what} not seen within {timeout}s; got {got}")
                self.cond.wait(remaining)
            return list(self.requests)

    def wait_delivered(self, n, timeout):
        """Until N requests were answered 200 {"code":0} (the default answer)."""
        return self.wait_for(lambda rs: sum(1 for r in rs if r["answer"] == 200 and not self.script) >= n,
                             timeout, f"{n} delivered events")


@pytest.fixture
def receivers():
    started = []

    def make(**kw):
        r = Receiver(**kw)
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()


def notify_config(url, retries=2, timeout=2):
    return {"notify": {"url": url, "key": KEY, "retries": retries, "timeout": timeout}}


# ---------------------------------------------------------------- publishers


def start_publish(server, stream, app="live"):
    """A raw RTMP publisher that sends no media: enough for publish/unpublish events."""
    c = RtmpClient(HOST, server.rtmp_port)
    assert c.connect(app, f"rtmp://{HOST}:{server.rtmp_port}/{app}")[0] == "_result"
    sid = int(c.create_stream()[3])
    info = c.status_after("publish", stream, "live", stream_id=sid)
    assert info and info.get("code") == "NetStream.Publish.Start", f"publish answered {info}"
    return c


def publish_and_close(server, stream):
    c = start_publish(server, stream)
    c.close()


# ---------------------------------------------------------------- checks


def check_signed(body):
    assert body["sign"] == hashlib.md5(f"{KEY}{body['t']}".encode()).hexdigest(), f"bad sign in {body}"
    assert abs(body["t"] - (body["event_time"] // 1000 + 600)) <= 1, body
    assert abs(body["event_time"] / 1000 - time.time()) < 120, body


def check_body_signature(request, key=KEY):
    """The header is HMAC-SHA256(key) of the raw bytes received, as a backend checks it."""
    expected = "sha256=" + hmac.new(key.encode(), request["raw"], hashlib.sha256).hexdigest()
    assert request["signature"] == expected, f"X-Liveorigin-Signature {request['signature']!r}, want {expected}"


def check_common(body, event, stream):
    expected_type = {"publish": 1, "unpublish": 0, "record": 100}[event]
    assert body["event"] == event and body["event_type"] == expected_type, body
    for field in ("event_id", "sequence", "app", "stream_id", "t", "sign", "event_time", "client_ip"):
        assert field in body, f"{field} missing from {body}"
    assert body["app"] == "live" and body["stream_id"] == stream, body
    assert body["client_ip"] == HOST, body
    check_signed(body)


def api(server, method, path):
    conn = http.client.HTTPConnection(HOST, server.api_port, timeout=10)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


# ---------------------------------------------------------------- tests


def test_retried_until_code_zero_with_the_same_event_id(servers, receivers):
    rx = receivers(script=[(500, '{"code":0}'), (500, "oops")]).start()
    server = servers.start(notify_config(rx.url()))
    publish_and_close(server, "s1")
    requests = rx.wait_for(lambda rs: any(r["body"]["event"] == "unpublish" for r in rs), 15, "unpublish")
    time.sleep(0.5)  # nothing more may come
    publishes = [r for r in rx.requests if r["body"]["event"] == "publish"]
    assert [r["answer"] for r in publishes] == [500, 500, 200], "publish attempts: 500, 500, then delivered"
    assert len({r["body"]["event_id"] for r in publishes}) == 1, "retries must carry the same event_id"
    assert all(r["body"] == publishes[0]["body"] for r in publishes), "a retry sends the same body"
    gaps = [b["at"] - a["at"] for a, b in zip(publishes, publishes[1:])]
    assert 0.8 < gaps[0] < 1.8 and 1.8 < gaps[1] < 3.0, f"backoff 1 s then 2 s, got {gaps}"
    unpublishes = [r for r in rx.requests if r["body"]["event"] == "unpublish"]
    assert len(unpublishes) == 1
    assert unpublishes[0]["at"] > publishes[-1]["at"], "unpublish waited for the publish to be delivered"
    for r in requests:
        assert r["path"] == "/hook"
        assert r["content_type"] == "application/json"
        check_body_signature(r)  # every attempt, retries included
    check_common(publishes[0]["body"], "publish", "s1")
    check_common(unpublishes[0]["body"], "unpublish", "s1")
    assert unpublishes[0]["body"]["reason"] == "closed"
    assert unpublishes[0]["body"]["sequence"] == publishes[0]["body"]["sequence"]
    assert unpublishes[0]["body"]["event_id"] != publishes[0]["body"]["event_id"]


def test_code_one_fails_after_all_attempts_and_shows_in_the_api(servers, receivers):
    rx = receivers(default=(200, '{"code":1,"message":"no"}')).start()
    server = servers.start(notify_config(rx.url(), retries=2))
    publish_and_close(server, "s2")
    rx.wait_for(lambda rs: len(rs) >= 3, 10, "3 publish attempts")
    deadline = time.monotonic() + 5
    while True:
        status, reply = api(server, "GET", "/api/v1/callbacks?state=failed")
        assert status == 200 and reply["code"] == 0, reply
        failed = [e for e in reply["data"] if e["event"] == "publish"]
        if failed or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(failed) == 1, f"the publish event is not failed in the API: {reply}"
    entry = failed[0]
    assert entry["attempts"] == 3 and entry["max_attempts"] == 3, entry
    assert "code 1" in entry["last_error"], entry
    assert entry["stream"] == "live/s2" and entry["payload"]["stream_id"] == "s2", entry
    publishes = [r for r in rx.requests if r["body"]["event"] == "publish"]
    assert len(publishes) == 3, f"1 + retries attempts, got {len(publishes)}"
    # The stream's next event went on only once the publish had failed for good.
    rx.wait_for(lambda rs: any(r["body"]["event"] == "unpublish" for r in rs), 5, "unpublish")
    first_unpublish = next(r for r in rx.requests if r["body"]["event"] == "unpublish")
    assert first_unpublish["at"] > publishes[-1]["at"]
    status, pending = api(server, "GET", "/api/v1/callbacks?state=pending")
    assert status == 200 and [e["event"] for e in pending["data"]] == ["unpublish"], pending

    # A manual retry requeues it; now the backend says yes.
    rx.default = (200, '{"code":0}')
    assert api(server, "POST", "/api/v1/callbacks/999999/retry")[0] == 404
    status, reply = api(server, "POST", f"/api/v1/callbacks/{entry['id']}/retry")
    assert status == 200 and reply["code"] == 0, reply
    assert api(server, "POST", f"/api/v1/callbacks/{entry['id']}/retry")[0] in (200, 409)
    rx.wait_for(lambda rs: rs[-1]["answer"] == 200 and rs[-1]["body"]["event_id"] == entry["event_id"]
                and "code\":0" in '{"code":0}', 5, "the requeued publish")
    assert api(server, "GET", "/api/v1/callbacks?state=bogus")[0] == 400


def test_receiver_down_during_the_event_and_up_later(servers, receivers):
    rx = receivers()  # port reserved, nobody listening yet
    server = servers.start(notify_config(rx.url(), retries=3))
    publish_and_close(server, "s3")
    time.sleep(1.5)  # the first attempts meet a refused connection
    rx.start()
    requests = rx.wait_for(lambda rs: len(rs) >= 2, 10, "publish and unpublish")
    assert [r["body"]["event"] for r in requests] == ["publish", "unpublish"]


def test_pending_events_survive_kill_9(servers, receivers):
    rx = receivers()  # down: both events stay pending
    server = servers.start(notify_config(rx.url(), retries=5))
    publish_and_close(server, "s4")
    time.sleep(0.5)  # the events are on disk (store thread) well before this
    server.proc.kill()
    server.proc.wait(timeout=5)
    server._finish()
    rx.start()
    time.sleep(0.5)
    assert rx.requests == [], "nothing was delivered while the server was dead"
    server.start()  # same data_dir
    requests = rx.wait_for(lambda rs: len(rs) >= 2, 10, "publish and unpublish after the restart")
    assert [r["body"]["event"] for r in requests] == ["publish", "unpublish"]
    for r in requests:
        check_body_signature(r)  # sent from the outbox by the new process
    check_common(requests[0]["body"], "publish", "s4")
    assert requests[1]["body"]["reason"] == "closed"


def test_order_per_stream_and_streams_in_parallel(servers, receivers):
    rx = receivers().start()
    server = servers.start(notify_config(rx.url()))
    for i in range(5):
        for n in ("a", "b", "c"):
            publish_and_close(server, n)
    requests = rx.wait_for(lambda rs: len(rs) >= 30, 15, "30 events")
    for n in ("a", "b", "c"):
        events = [r["body"] for r in requests if r["body"]["stream_id"] == n]
        assert [e["event"] for e in events] == ["publish", "unpublish"] * 5, f"order of {n}"
        for pub, unpub in zip(events[::2], events[1::2]):
            assert pub["sequence"] == unpub["sequence"]
        assert len({e["sequence"] for e in events}) == 5, "each session has its own sequence"


def api_call(server, method, path, body=None):
    conn = http.client.HTTPConnection(HOST, server.api_port, timeout=10)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def test_exactly_one_unpublish_per_session_with_its_reason(servers, receivers):
    rx = receivers().start()
    server = servers.start({**notify_config(rx.url()), "limits": {"publish_timeout": 1.5}})
    sessions = {name: start_publish(server, name) for name in ("closed", "idle", "dropped", "disabled")}
    sessions["closed"].close()
    assert api_call(server, "POST", "/api/v1/streams/live/dropped/drop")[0] == 200
    assert api_call(server, "PUT", "/api/v1/streams/live/disabled/status", {"status": "disabled"})[0] == 200
    # "idle" sends nothing: cut by publish_timeout (a publisher that vanished without closing).
    rx.wait_for(lambda rs: sum(r["body"]["event"] == "unpublish" for r in rs) >= 4, 10, "four unpublishes")
    for c in sessions.values():
        c.close()  # the sessions ended already: closing now must not add an unpublish
    time.sleep(1)
    unpublishes = {}
    for body in rx.bodies("unpublish"):
        unpublishes.setdefault(body["stream_id"], set()).add((body["event_id"], body["reason"]))
    reasons = {stream: [reason for _, reason in events] for stream, events in unpublishes.items()}
    assert all(len(v) == 1 for v in reasons.values()), f"one unpublish per session: {reasons}"
    assert reasons["closed"] == ["closed"] and reasons["idle"] == ["timeout"], reasons
    assert reasons["dropped"] == ["dropped"] and reasons["disabled"] == ["disabled"], reasons
    assert sorted(b["stream_id"] for b in rx.bodies("publish")) == sorted(sessions)
    assert api_call(server, "PUT", "/api/v1/streams/live/disabled/status", {"status": "enabled"})[0] == 200


def test_shutdown_unpublish_is_kept_on_disk_and_sent_after_restart(servers, receivers):
    rx = receivers().start()
    server = servers.start(notify_config(rx.url(), retries=5))
    c = start_publish(server, "live1")
    rx.wait_for(lambda rs: len(rs) >= 1, 10, "the publish")
    rx.stop()
    assert server.stop() == 0  # SIGTERM: the stream stops with reason shutdown
    c.close()
    assert [b["event"] for b in rx.bodies()] == ["publish"]
    rx.start()
    server.stopped = False
    server.start()
    requests = rx.wait_for(lambda rs: len(rs) >= 2, 10, "the shutdown unpublish after the restart")
    assert requests[1]["body"]["event"] == "unpublish" and requests[1]["body"]["reason"] == "shutdown"
    assert requests[1]["body"]["sequence"] == requests[0]["body"]["sequence"]


def test_https_receiver(servers, receivers, tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    rx = receivers(tls_context=context).start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the server trusts our self-signed backend
    server = servers.start(notify_config(rx.url("https", "localhost")))
    publish_and_close(server, "tls")
    requests = rx.wait_for(lambda rs: len(rs) >= 2, 10, "publish and unpublish over https")
    assert [r["body"]["event"] for r in requests] == ["publish", "unpublish"]
    assert all(r["answer"] == 200 for r in requests)


def test_untrusted_https_is_a_failed_attempt(servers, receivers, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    rx = receivers(tls_context=context).start()
    server = servers.start(notify_config(rx.url("https", "localhost"), retries=0))
    publish_and_close(server, "tls")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status, reply = api(server, "GET", "/api/v1/callbacks?state=failed")
        if len(reply["data"]) == 2:
            break
        time.sleep(0.2)
    assert len(reply["data"]) == 2, reply
    assert all("TLS" in e["last_error"] for e in reply["data"]), reply
    assert rx.requests == []


def test_a_dead_backend_does_not_slow_publishing(servers, receivers):
    # A backend that accepts connections and never answers: every attempt waits for the timeout.
    black_hole = socket.socket()
    black_hole.bind((HOST, 0))
    black_hole.listen(100)
    try:
        port = black_hole.getsockname()[1]
        server = servers.start(notify_config(f"http://{HOST}:{port}/hook", timeout=5))
        start = time.monotonic()
        for i in range(10):
            publish_and_close(server, f"p{i}")
        took = time.monotonic() - start
        assert took < 3, f"10 publishes took {took:.1f}s with a dead backend"
    finally:
        black_hole.close()


def test_no_url_no_callbacks(servers, receivers):
    rx = receivers().start()
    # Only app "other" has a URL; "live" has none (and no global one).
    server = servers.start({"apps": {"live": {}, "other": {"notify": {"url": rx.url(), "key": KEY}}}})
    publish_and_close(server, "quiet")
    c = RtmpClient(HOST, server.rtmp_port)
    assert c.connect("other", f"rtmp://{HOST}:{server.rtmp_port}/other")[0] == "_result"
    sid = int(c.create_stream()[3])
    assert c.status_after("publish", "x", "live", stream_id=sid)["code"] == "NetStream.Publish.Start"
    c.close()
    requests = rx.wait_for(lambda rs: len(rs) >= 2, 10, "the other app's events")
    time.sleep(0.5)
    assert [(r["body"]["app"], r["body"]["event"]) for r in rx.requests] == [("other", "publish"),
                                                                            ("other", "unpublish")]
    check_signed(requests[0]["body"])


def test_an_apps_key_alone_signs_its_events_sent_to_the_global_url(servers, receivers):
    """apps.APP.notify overrides the global notify field by field: a key without a URL still signs."""
    rx = receivers().start()
    server = servers.start({"notify": {"url": rx.url(), "key": "global-key"},
                            "apps": {"live": {"notify": {"key": KEY}}}})
    publish_and_close(server, "k")
    requests = rx.wait_for(lambda rs: len(rs) >= 2, 10, "the publish and unpublish events")
    for r in requests:
        check_signed(r["body"])  # with KEY, the app's
        check_body_signature(r)  # the header too
    assert check_body_signature_fails(requests[0], "global-key")


def check_body_signature_fails(request, key):
    try:
        check_body_signature(request, key)
    except AssertionError:
        return True
    return False
