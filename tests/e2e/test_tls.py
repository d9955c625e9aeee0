"""TLS (PRODUCT.md section 9): RTMPS ingest and play, HTTPS for FLV, HLS, recordings and the page,
the API over TLS; the chain sent with the leaf, SNI, TLS 1.2+ only, reload on SIGHUP, the handshake
under handshake_timeout. Certificates come from the openssl CLI: a root, an intermediate (sent by
the server in the chain, as certbot's fullchain.pem), and two server certificates."""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import warnings

import pytest

import testmedia
from apiclient import TOKEN
from harness import FFMPEG, HOST, ffmpeg_read, ffprobe, free_port, streams_by_type, wait_live
from flvstream import FlvClient
from test_callbacks import Receiver
from test_recording import wait_landed

OPENSSL_TIMEOUT = 60


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=OPENSSL_TIMEOUT)


class Certs:
    """root.pem (trusted by the clients), inter.pem, and per name a chain file (leaf + intermediate)
    and a key."""

    def __init__(self, d):
        self.dir = d
        self.root = os.path.join(d, "root.pem")
        self._ec_key("root.key")
        openssl("req", "-x509", "-new", "-key", self.path("root.key"), "-out", self.root, "-days", "2",
                "-subj", "/CN=liveorigin test root")
        self._ec_key("inter.key")
        openssl("req", "-new", "-key", self.path("inter.key"), "-out", self.path("inter.csr"),
                "-subj", "/CN=liveorigin test intermediate")
        self._ext("inter.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
        openssl("x509", "-req", "-in", self.path("inter.csr"), "-CA", self.root, "-CAkey", self.path("root.key"),
                "-CAcreateserial", "-out", self.path("inter.pem"), "-days", "2", "-extfile", self.path("inter.ext"))

    def path(self, name):
        return os.path.join(self.dir, name)

    def _ec_key(self, name):
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", self.path(name))

    def _ext(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)

    def server(self, stem, cn, sans, out_dir=None):
        """(chain, key) for a server certificate of CN with SANS ("DNS:a.test,IP:127.0.0.1")."""
        out_dir = out_dir or self.dir
        key = os.path.join(out_dir, stem + ".key")
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
        csr = os.path.join(out_dir, stem + ".csr")
        openssl("req", "-new", "-key", key, "-out", csr, "-subj", f"/CN={cn}")
        self._ext(stem + ".ext", f"subjectAltName={sans}\nextendedKeyUsage=serverAuth\n")
        leaf = os.path.join(out_dir, stem + ".leaf.pem")
        openssl("x509", "-req", "-in", csr, "-CA", self.path("inter.pem"), "-CAkey", self.path("inter.key"),
                "-CAcreateserial", "-out", leaf, "-days", "2", "-extfile", self.path(stem + ".ext"))
        chain = os.path.join(out_dir, stem + ".pem")
        with open(chain, "w") as f:
            f.write(open(leaf).read() + open(self.path("inter.pem")).read())
        return chain, key


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    c = Certs(str(tmp_path_factory.mktemp("certs")))
    c.a = c.server("a", "a.test", "DNS:a.test,DNS:localhost,IP:127.0.0.1")
    c.b = c.server("b", "any.b.test", "DNS:*.b.test")
    return c


def tls_config(certs, main=None, **server):
    """The config of a server with rtmps and https on free ports, SNI for *.b.test."""
    cert, key = main or certs.a
    return {"server": {"tls": {"cert": cert, "key": key, "sni": [{"cert": certs.b[0], "key": certs.b[1]}]},
                       "rtmps": {"listen": f"{HOST}:{free_port()}"},
                       "https": {"listen": f"{HOST}:{free_port()}"}, **server}}


def port_of(server, name):
    return int(server.config["server"][name]["listen"].rsplit(":", 1)[1])


def client_context(certs, check_hostname=True):
    context = ssl.create_default_context(cafile=certs.root)
    context.check_hostname = check_hostname
    return context


def handshake(port, certs, server_name, **versions):
    """(subject CN, TLS version) the server presents to a client verifying against the root."""
    context = client_context(certs, check_hostname=server_name is not None)
    for attr, value in versions.items():
        setattr(context, attr, value)
    with socket.create_connection((HOST, port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as s:
            subject = dict(item[0] for item in s.getpeercert()["subject"])
            return subject["commonName"], s.version()


def https_request(port, path, certs, method="GET", headers=None, body=None):
    """(status, headers lower-cased, body) of one HTTPS request verified against the root."""
    conn = http.client.HTTPSConnection(HOST, port, timeout=10, context=client_context(certs))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def plain_metrics(server):
    conn = http.client.HTTPConnection(HOST, server.api_port, timeout=10)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout}s")


def rtmps_publish(clients, server, stream, seconds=None):
    cmd = [*FFMPEG, "-re", "-stream_loop", "-1", "-i", testmedia.media_path("av.flv")]
    if seconds:
        cmd += ["-t", str(seconds)]
    cmd += ["-c", "copy", "-f", "flv", f"rtmps://{HOST}:{port_of(server, 'rtmps')}/live/{stream}"]
    return clients.run(cmd, what="rtmps-publish")


def test_rtmps_in_then_rtmps_https_flv_and_hls_out(servers, clients, certs):
    rx = Receiver().start()
    try:
        server = servers.start({**tls_config(certs), "notify": {"url": rx.url(), "key": "k"}})
        rtmps_publish(clients, server, "s")
        wait_live(server, "s")
        # The publisher's address reaches the callback as over plain RTMP.
        publish = rx.wait_for(lambda rs: rs, 10, "the publish callback")[0]
        assert publish["body"]["event"] == "publish" and publish["body"]["client_ip"] == HOST, publish["body"]
    finally:
        rx.stop()
    https = port_of(server, "https")

    # RTMPS and HTTPS-FLV players (ffmpeg with TLS) get both tracks.
    for url in (f"rtmps://{HOST}:{port_of(server, 'rtmps')}/live/s", f"https://{HOST}:{https}/live/s.flv"):
        rc, probe, err = ffprobe(url)
        assert rc == 0, f"{url}: {err}"
        kinds = streams_by_type(probe)
        assert "video" in kinds and "audio" in kinds, (url, probe)

    # GOP cache over TLS: the FLV body starts with the sequence headers and a key frame.
    player = FlvClient(HOST, https, "/live/s.flv", tls=client_context(certs))
    try:
        assert player.status == 200
        tags, _ = player.read_tags_for(1)
        video = [t for t in tags if t.is_video]
        assert video and video[0].is_avc_sequence_header and video[1].is_keyframe, [(t.type, t.size) for t in tags[:6]]
    finally:
        player.close()

    # HLS over HTTPS: the playlist links its segments relatively (they keep the scheme), ffmpeg plays it.
    playlist = wait_for(lambda: (lambda r: r[2].decode() if r[0] == 200 and b"#EXTINF" in r[2] else None)(
        https_request(https, "/live/s.m3u8", certs)), 20, "an HLS playlist with a segment over https")
    assert "http://" not in playlist and "https://" not in playlist, playlist
    rc, err = ffmpeg_read(f"https://{HOST}:{https}/live/s.m3u8", seconds=2)
    assert rc == 0, err

    # The player page and the plain port are there side by side.
    assert https_request(https, "/", certs)[0] == 200
    assert https_request(https, "/play/live/s", certs)[0] == 200


def test_recording_served_with_range_over_https(servers, clients, certs):
    server = servers.start({**tls_config(certs), "apps": {"live": {"record": {"enabled": True, "format": "flv"}}}})
    assert rtmps_publish(clients, server, "v", seconds=3).wait(25) == 0
    [path] = wait_landed(server, "v")
    data = open(path, "rb").read()
    url = f"/vod/live/v/{os.path.basename(path)}"
    https = port_of(server, "https")
    status, _, body = https_request(https, url, certs)
    assert status == 200 and body == data
    status, headers, body = https_request(https, url, certs, headers={"Range": "bytes=100-1099"})
    assert status == 206 and body == data[100:1100], headers
    assert headers["content-range"] == f"bytes 100-1099/{len(data)}"


def test_chain_sni_and_versions(servers, certs):
    server = servers.start(tls_config(certs))
    for port in (port_of(server, "rtmps"), port_of(server, "https")):
        # Verified against the root alone: the intermediate came with the leaf.
        assert handshake(port, certs, "a.test")[0] == "a.test"
        assert handshake(port, certs, "localhost")[0] == "a.test"
        assert handshake(port, certs, "x.b.test")[0] == "any.b.test"  # the wildcard of the SNI certificate
        assert handshake(port, certs, None)[0] == "a.test"              # no name: the default
    # An unknown name gets the default certificate too (the client then refuses it by name).
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(port_of(server, "https"), certs, "unknown.test")
    assert handshake(port_of(server, "https"), certs, "a.test", maximum_version=ssl.TLSVersion.TLSv1_2)[1] == "TLSv1.2"
    assert handshake(port_of(server, "https"), certs, "a.test")[1] == "TLSv1.3"

    # TLS 1.1 is refused by the server (the client is allowed to offer it).
    before = metric(plain_metrics(server), 'liveorigin_refusals_total{reason="tls_handshake"}')
    old = client_context(certs)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # what this test is about
        old.minimum_version = ssl.TLSVersion.TLSv1_1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection((HOST, port_of(server, "https")), timeout=10) as raw:
        with pytest.raises(ssl.SSLError):
            old.wrap_socket(raw, server_hostname="a.test")
    wait_for(lambda: metric(plain_metrics(server), 'liveorigin_refusals_total{reason="tls_handshake"}') > before,
             10, "the refused TLS 1.1 handshake in /metrics")
    wait_for(lambda: "TLS handshake with 127.0.0.1" in server.log_text() and "unsupported protocol" in server.log_text(),
             10, "a log line for the refused TLS 1.1 handshake")


def test_sighup_reloads_certificates_and_a_broken_file_keeps_the_running_ones(servers, certs, tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    cert, key = str(live / "fullchain.pem"), str(live / "privkey.pem")
    shutil.copy(certs.a[0], cert)
    shutil.copy(certs.a[1], key)
    server = servers.start(tls_config(certs, main=(cert, key)))
    https = port_of(server, "https")
    assert handshake(https, certs, "a.test")[0] == "a.test"
    # A connection open across the reload goes on.
    kept = http.client.HTTPSConnection(HOST, https, timeout=10, context=client_context(certs))
    kept.request("GET", "/")
    assert kept.getresponse().read() is not None

    # Renewed in place (as certbot does): new connections get the new certificate.
    new_chain, new_key = certs.server("renewed", "renewed.test", "DNS:a.test", out_dir=str(tmp_path))
    shutil.copy(new_chain, cert)
    shutil.copy(new_key, key)
    server.signal(signal.SIGHUP)
    wait_for(lambda: handshake(https, certs, "a.test")[0] == "renewed.test", 10, "the renewed certificate served")
    kept.request("GET", "/")
    assert kept.getresponse().status == 200

    # A broken key: the reload is refused with a log line; the running certificate stays.
    with open(key, "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n")
    server.signal(signal.SIGHUP)
    wait_for(lambda: "TLS certificates refused, keeping the running ones" in server.log_text(), 10,
             "the refused reload in the log")
    assert key in server.log_text()
    assert handshake(https, certs, "a.test")[0] == "renewed.test"
    kept.close()


def client_hello():
    """The bytes of a real ClientHello, made by Python's TLS client without a socket."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="a.test")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def test_half_a_client_hello_is_cut_after_handshake_timeout(servers, certs):
    server = servers.start({**tls_config(certs), "limits": {"handshake_timeout": 1}})
    hello = client_hello()
    assert len(hello) > 100
    for port in (port_of(server, "rtmps"), port_of(server, "https")):
        with socket.create_connection((HOST, port), timeout=10) as s:
            s.sendall(hello[: len(hello) // 2])
            start = time.monotonic()
            try:
                closed = s.recv(1024) == b""
            except ConnectionResetError:
                closed = True
            waited = time.monotonic() - start
        assert closed, "the server answered half a ClientHello"
        assert 0.7 < waited < 8, f"cut after {waited:.1f}s with handshake_timeout 1"
    wait_for(lambda: server.log_text().count("no TLS handshake from 127.0.0.1") >= 2, 10,
             "two handshake_timeout log lines")
    assert metric(plain_metrics(server), 'liveorigin_refusals_total{reason="handshake_timeout"}') >= 2


def test_api_tls_only_and_channel_urls_keep_tls(servers, certs):
    config = tls_config(certs, api={"tls": True})
    config["apps"] = {"live": {}, "ch": {"mode": "channel"}}
    server = servers.start(config)
    api = server.api_port
    auth = {"Authorization": f"Bearer {TOKEN}"}
    wait_for(lambda: https_request(api, "/healthz", certs)[0] == 200, 10, "the API over TLS")
    status, _, body = https_request(api, "/metrics", certs, headers=auth)
    assert status == 200 and b"liveorigin_refusals_total" in body
    # Plain HTTP on the API port gets no answer: the port speaks TLS only.
    with socket.create_connection((HOST, api), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            answer = s.recv(1024)
        except ConnectionResetError:
            answer = b""
    assert not answer.startswith(b"HTTP/"), answer
    # A channel made over HTTPS gets rtmps:// and https:// URLs on the TLS ports.
    status, _, body = https_request(api, "/api/v1/apps/ch/channels", certs, method="POST",
                                    headers={**auth, "Content-Type": "application/json"}, body=json.dumps({"id": "c1"}))
    assert status == 200, body
    created = json.loads(body)["data"]
    assert created["push_url"] == f"rtmps://{HOST}:{port_of(server, 'rtmps')}/ch/c1", created
    assert created["play_urls"]["flv"] == f"https://{HOST}:{port_of(server, 'https')}/ch/c1.flv", created
    assert created["play_urls"]["hls"] == f"https://{HOST}:{port_of(server, 'https')}/ch/c1.m3u8", created
    # The console served over TLS plays from the media port over TLS.
    status, _, body = https_request(api, "/console/media.json", certs)
    assert status == 200 and json.loads(body)["media_origin"] == f"https://{HOST}:{port_of(server, 'https')}", body


def test_check_config_loads_the_certificate_files(liveorigin_bin, certs, tmp_path):
    from test_config_cli import check_config, good_config_text, write_config
    good = good_config_text(tmp_path, tls_config(certs))
    rc, out = check_config(liveorigin_bin, write_config(tmp_path, good))
    assert rc == 0, out
    # The key of the SNI certificate with the default one: refused, at the line of server.tls.
    mismatched = good_config_text(tmp_path, tls_config(certs, main=(certs.a[0], certs.b[1])))
    path = write_config(tmp_path, mismatched)
    rc, out = check_config(liveorigin_bin, path)
    line = next(i + 1 for i, text in enumerate(mismatched.split("\n")) if text.strip().startswith("cert:"))
    assert rc != 0 and f"liveorigin.yaml:{line}: server.tls: " in out and "does not match" in out, out
    missing = good_config_text(tmp_path, tls_config(certs, main=(str(tmp_path / "nope.pem"), certs.a[1])))
    rc, out = check_config(liveorigin_bin, write_config(tmp_path, missing))
    assert rc != 0 and "nope.pem" in out, out


def test_tls_connections_count_in_the_limits_from_their_accept(servers, certs):
    server = servers.start({**tls_config(certs), "limits": {"max_connections_per_ip": 2}})
    https = port_of(server, "https")
    context = client_context(certs)
    # The harness's own probes of the ports are gone first.
    wait_for(lambda: metric(plain_metrics(server), "liveorigin_connections") == 0, 10, "no open connections")
    held = []
    try:
        # One connection mid-handshake (nothing sent) and one done: both take a place.
        held.append(socket.create_connection((HOST, https), timeout=10))
        held.append(context.wrap_socket(socket.create_connection((HOST, https), timeout=10), server_hostname="a.test"))
        wait_for(lambda: metric(plain_metrics(server), "liveorigin_connections") >= 2, 10, "two open connections")
        with socket.create_connection((HOST, port_of(server, "rtmps")), timeout=10) as third:
            try:
                closed = third.recv(1) == b""
            except ConnectionResetError:
                closed = True
        assert closed, "a third connection from the address was not refused"
        assert metric(plain_metrics(server), 'liveorigin_refusals_total{reason="max_connections_per_ip"}') >= 1
    finally:
        for s in held:
            s.close()
