"""The command line, config validation and signals (PRODUCT.md section 1)."""
import os
import re
import signal
import subprocess
import time

import pytest

from harness import HOST, base_config, deep_merge, free_port, read_until_eof, to_yaml, wait_live

CLI_TIMEOUT = 10


def write_config(tmp_path, text, name="liveorigin.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def good_config_text(tmp_path, extra=None):
    cfg = deep_merge(base_config(free_port(), free_port(), free_port(), str(tmp_path / "data")), extra)
    return to_yaml(cfg) + "\n"


def check_config(binary, path):
    try:
        res = subprocess.run([binary, "--check-config", "-c", path], capture_output=True, text=True,
                             timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"liveorigin --check-config -c {path} hung for {CLI_TIMEOUT}s")
    return res.returncode, res.stdout + res.stderr


def insert_after(text, anchor_line, new_line):
    """Insert NEW_LINE after the line equal to ANCHOR_LINE; returns (text, 1-based line of NEW_LINE)."""
    lines = text.split("\n")
    i = lines.index(anchor_line)
    lines.insert(i + 1, new_line)
    return "\n".join(lines), i + 2


def replace_line(text, old_prefix, new_line):
    lines = text.split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith(old_prefix))
    lines[i] = new_line
    return "\n".join(lines), i + 1


def test_check_config_accepts_good_config(liveorigin_bin, tmp_path):
    path = write_config(tmp_path, good_config_text(tmp_path))
    rc, out = check_config(liveorigin_bin, path)
    assert rc == 0, f"--check-config rejected a good config ({rc}):\n{out}"


def test_check_config_accepts_full_documented_config(liveorigin_bin, tmp_path):
    """Every key of the PRODUCT.md config block is known (unknown keys are errors)."""
    full = {
        "apps": {"live": {
            "mode": "code", "max_channels": 0,
            "push_auth": {"key": "", "backup_key": ""}, "play_auth": {"key": "", "backup_key": ""},
            "gop_cache": True, "flv": {"enabled": True},
            "hls": {"enabled": True, "fragment": 2, "window": 6, "path": ""},
            "record": {"enabled": False, "format": "mp4", "interval": 0},
            "notify": {"url": "", "key": ""}}},
        "notify": {"url": "", "key": "", "timeout": 5, "retries": 3},
        "limits": {"publish_timeout": 10, "play_wait": 0, "player_queue": 4, "max_connections": 10000},
        "log": {"level": "info"},
    }
    path = write_config(tmp_path, good_config_text(tmp_path, full))
    rc, out = check_config(liveorigin_bin, path)
    assert rc == 0, f"--check-config rejected the documented config ({rc}):\n{out}"


def bad_configs(text):
    """(id, broken text, 1-based line the error must point at)."""
    cases = []
    t, line = insert_after(text, "server:", "  colour: blue")
    cases.append(("unknown server key", t, line))
    t, line = insert_after(text, "  live:", "    gop_cachee: true")
    cases.append(("unknown app key", t, line))
    t, line = insert_after(text, "log:", "  levle: debug")
    cases.append(("unknown log key", t, line))
    cases.append(("unknown top-level key", text + "extras: 1\n", text.count("\n") + 1))
    t, line = replace_line(text, "  workers:", "  workers: lots")
    cases.append(("workers not a number", t, line))
    t, line = replace_line(text, "  publish_timeout:", "  publish_timeout: soon")
    cases.append(("duration not a number", t, line))
    t, line = replace_line(text, "  level:", '  level: "loud"')
    cases.append(("unknown log level", t, line))
    t, line = insert_after(text, "server:", '  rtmps: { listen: "127.0.0.1:1936" }')
    cases.append(("rtmps without a certificate", t, line))
    return cases


@pytest.mark.parametrize("case", range(8))
def test_check_config_reports_file_and_line(liveorigin_bin, tmp_path, case):
    what, text, line = bad_configs(good_config_text(tmp_path))[case]
    path = write_config(tmp_path, text)
    rc, out = check_config(liveorigin_bin, path)
    numbered = "\n".join(f"{i + 1:3} {l}" for i, l in enumerate(text.split("\n")))
    assert rc != 0, f"{what}: --check-config accepted it:\n{numbered}"
    assert re.search(re.escape(os.path.basename(path)) + rf":{line}:", out), (
        f"{what}: expected '{path}:{line}: ...' in the output, got:\n{out}\nconfig:\n{numbered}")


def test_check_config_syntax_error_and_missing_file(liveorigin_bin, tmp_path):
    path = write_config(tmp_path, good_config_text(tmp_path) + "limits: { publish_timeout: 10\n", "broken.yaml")
    rc, out = check_config(liveorigin_bin, path)
    assert rc != 0, "--check-config accepted a YAML syntax error"
    assert re.search(r"broken\.yaml:\d+:", out), f"no FILE:LINE: for a syntax error:\n{out}"
    rc, out = check_config(liveorigin_bin, str(tmp_path / "missing.yaml"))
    assert rc != 0, "--check-config accepted a missing file"
    assert "missing.yaml" in out, f"the error does not name the file:\n{out}"


def test_server_refuses_to_start_with_bad_config(liveorigin_bin, tmp_path):
    text, line = insert_after(good_config_text(tmp_path), "server:", "  colour: blue")
    path = write_config(tmp_path, text)
    try:
        res = subprocess.run([liveorigin_bin, "-c", path], capture_output=True, text=True,
                             timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise AssertionError("liveorigin started (or hung) with an unknown config key")
    assert res.returncode != 0
    assert f"liveorigin.yaml:{line}:" in res.stdout + res.stderr, res.stdout + res.stderr


def test_sighup_with_broken_config_keeps_streaming(server, clients):
    pub = clients.publish(server, "s")
    wait_live(server, "s")
    player = clients.flv(server, "s")
    assert player.status == 200
    tags, eof = player.read_tags_for(1)
    assert tags and not eof

    with open(server.config_path) as f:
        text = f.read()
    broken, _ = insert_after(text.rstrip("\n"), "server:", "  colour: blue")
    with open(server.config_path, "w") as f:
        f.write(broken + "\n")
    server.signal(signal.SIGHUP)

    tags, eof = player.read_tags_for(4)
    assert not eof, "SIGHUP with a broken config cut the player"
    assert len(tags) > 20, f"player got only {len(tags)} tags in 4 s after SIGHUP"
    assert server.alive(), f"SIGHUP with a broken config killed the server\n{server.log_tail()}"
    assert pub.poll() is None, f"SIGHUP with a broken config cut the publisher\n{pub.output()[-2000:]}"
    c = clients.flv(server, "s")
    assert c.status == 200 and c.read_tag(timeout=5) is not None
    # The old config stays in force; putting the good file back and reloading works.
    server.write_config()
    server.signal(signal.SIGHUP)
    tags, eof = player.read_tags_for(2)
    assert not eof and tags
    assert server.alive()


def test_sighup_applies_a_valid_change(server, clients):
    clients.publish(server, "s")
    wait_live(server, "s")
    player = clients.flv(server, "s")
    assert player.status == 200

    # data_dir changes only on restart: the reload keeps the running one and says so.
    config = deep_merge(server.config, {"apps": {"live2": {"gop_cache": True}},
                                        "server": {"data_dir": server.config["server"]["data_dir"] + "-moved"}})
    server.write_config(config)
    server.signal(signal.SIGHUP)
    tags, eof = player.read_tags_for(2)
    assert not eof and tags, "SIGHUP with a valid change cut the player"
    assert "server.data_dir change only on restart" in server.log_text(), server.log_tail()

    # The new app takes publishes (allow a few seconds for the reload to be in force).
    deadline = time.monotonic() + 10
    while True:
        pub = clients.publish(server, "x", app="live2")
        try:
            wait_live(server, "x", app="live2", timeout=4)
            break
        except AssertionError:
            pub.signal(signal.SIGKILL)
            if time.monotonic() > deadline:
                raise AssertionError(f"app live2 added by SIGHUP takes no publish\n{pub.output()[-2000:]}")
    tags, eof = player.read_tags_for(2)
    assert not eof and tags, "the live stream's player was cut by the reload"
    assert server.alive()


def test_sighup_reaches_a_kept_alive_http_connection(server, clients):
    """An HLS player keeps one connection for hours: play auth turned on by a reload applies to its
    next request, not only to new connections."""
    import http.client
    from test_hls import wait_playlist
    clients.publish(server, "k")
    wait_playlist(server, "k", 1)
    conn = http.client.HTTPConnection(HOST, server.http_port, timeout=10)
    try:
        conn.request("GET", "/live/k.m3u8")
        first = conn.getresponse()
        first.read()
        assert first.status == 200, f"before the reload: {first.status}"
        kept = conn.sock
        assert kept is not None, "the server did not keep the connection alive"
        config = deep_merge(server.config, {"apps": {"live": {"play_auth": {"key": "sekrit"}}}})
        server.write_config(config)
        server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while True:
            conn.request("GET", "/live/k.m3u8")
            assert conn.sock is kept, "the connection was not kept alive: the test would prove nothing"
            again = conn.getresponse()
            again.read()
            if again.status == 403 or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert again.status == 403, f"the kept-alive connection still got {again.status} after play auth was set"
    finally:
        conn.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_shutdown_with_clients_connected_exits_0(server, clients, sig):
    pub = clients.publish(server, "s")
    wait_live(server, "s")
    flv = clients.flv(server, "s")
    assert flv.status == 200
    assert flv.read_tag(timeout=5) is not None
    rtmp = clients.rtmp_player(server, "s")
    time.sleep(2)
    assert rtmp.poll() is None, f"RTMP player ended early\n{rtmp.output()[-2000:]}"

    server.stopped = True  # this test checks the exit itself
    server.signal(sig)
    try:
        rc = server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.stop(timeout=1)
        raise AssertionError(f"liveorigin still running 10 s after {sig.name} with clients connected\n"
                             f"{server.log_tail()}")
    server.stop()
    assert rc == 0, f"liveorigin exited {rc} on {sig.name}\n{server.log_tail()}"
    read_until_eof(flv, timeout=5)
    rtmp.wait(10)
    pub.wait(10)


# ---------------------------------------------------------------- the API's token off loopback


def test_api_off_loopback_refuses_the_default_or_a_short_token(liveorigin_bin, tmp_path):
    for token in ["change-me", "fifteen-chars-x"]:
        text = good_config_text(tmp_path, {"server": {"api": {"listen": f"0.0.0.0:{free_port()}", "token": token}}})
        line = text.split("\n").index(f'    token: "{token}"') + 1
        path = write_config(tmp_path, text)
        rc, out = check_config(liveorigin_bin, path)
        assert rc != 0, f"--check-config accepted api.token {token!r} on 0.0.0.0:\n{out}"
        assert f"liveorigin.yaml:{line}: 'server.api.token'" in out, out
        try:
            res = subprocess.run([liveorigin_bin, "-c", path], capture_output=True, text=True,
                                 timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"liveorigin started with api.token {token!r} on 0.0.0.0")
        assert res.returncode != 0
        assert f"liveorigin.yaml:{line}:" in res.stdout + res.stderr, res.stdout + res.stderr


def test_api_off_loopback_runs_with_a_long_token(servers):
    from apiclient import call, wait_api
    port = free_port()
    token = "a-long-token-of-32-characters-xx"
    server = servers.start({"server": {"api": {"listen": f"0.0.0.0:{port}", "token": token}}})
    server.api_port = port
    wait_api(server)
    assert call(server, "GET", "/api/v1/stats", token=token)[0] == 200
    assert call(server, "GET", "/api/v1/stats", token="change-me")[0] == 401
    assert call(server, "GET", "/api/v1/stats", token=token[:-1])[0] == 401
