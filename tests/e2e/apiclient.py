"""The management API as the e2e tests (and an operator with curl) use it, plus txSecret signing."""
import hashlib
import http.client
import json
import time

from harness import HOST

TOKEN = "t"  # api.token of harness.base_config


def call(server, method, path, body=None, token=TOKEN, raw_body=None, timeout=10.0):
    """(status, parsed JSON or text) of one API request."""
    conn = http.client.HTTPConnection(HOST, server.api_port, timeout=timeout)
    try:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        if resp.getheader("Content-Type", "").startswith("application/json"):
            return resp.status, json.loads(text)
        return resp.status, text
    finally:
        conn.close()


def data(server, method, path, body=None):
    """The `data` of a successful answer; fails the test otherwise."""
    status, answer = call(server, method, path, body)
    assert status == 200 and answer["code"] == 0, f"{method} {path} -> {status} {answer}"
    return answer["data"]


def wait_api(server, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if call(server, "GET", "/healthz", token=None)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("management API not answering")


def sign(key, stream, expires_at, lower_time=False):
    """The query string (with '?') of a signed URL valid until EXPIRES_AT (Unix seconds)."""
    tx_time = f"{expires_at:x}" if lower_time else f"{expires_at:X}"
    secret = hashlib.md5(f"{key}{stream}{tx_time}".encode()).hexdigest()
    return f"?txSecret={secret}&txTime={tx_time}"


def valid(key, stream, lower_time=False):
    return sign(key, stream, int(time.time()) + 3600, lower_time)
