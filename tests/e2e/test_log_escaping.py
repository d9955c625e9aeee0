"""Client text in the server log (PRODUCT.md section 8): names, tcUrl and HTTP targets are escaped and
cut, so a client cannot forge a log line, send escape sequences to the operator's terminal or write
huge lines."""
import socket

from harness import HOST, http_get
from rtmpraw import RtmpClient

FORGED = "2026-01-01 00:00:00.000 info FORGED publish started"
EVIL = "cam\n" + FORGED + "\x1b[2J\x1b]0;owned\x07\r" + "A" * 60000
MAX_LINE = 4096


def test_hostile_names_are_escaped_in_the_log(servers):
    server = servers.start()
    # A publish to a name with a newline, ESC sequences and 60 KB.
    c = RtmpClient(HOST, server.rtmp_port)
    try:
        assert c.connect("live", f"rtmp://{HOST}:{server.rtmp_port}/live")[0] == "_result"
        sid = int(c.create_stream()[3])
        info = c.status_after("publish", EVIL, "live", stream_id=sid)
        assert info and info["level"] == "error", info
    finally:
        c.close()
    # The same in the app name and tcUrl of a connect.
    c = RtmpClient(HOST, server.rtmp_port)
    try:
        reply = c.connect("x\n" + FORGED + "\x1b[31m" + "B" * 30000, "rtmp://h/\n" + FORGED + "\x1b[0m" + "C" * 20000)
        assert reply[0] == "_error", reply
    except (EOFError, ConnectionError, socket.timeout):
        pass
    finally:
        c.close()
    # And in HTTP targets (percent-encoded control bytes).
    http_get(server.http_port, "/live/a%0A" + FORGED.replace(" ", "%20") + "%1B%5B2J" + "D" * 3000 + ".flv")

    server.stop()
    log = server.log_text()
    assert "\x1b" not in log, "an ESC byte from a client reached the log"
    assert "\x07" not in log and "\r" not in log
    lines = log.split("\n")
    forged = [line for line in lines if line.startswith(FORGED[:10])]
    assert not forged, f"a client forged a log line: {forged[0][:200]!r}"
    long = [line for line in lines if len(line) > MAX_LINE]
    assert not long, f"{len(long)} log lines over {MAX_LINE} bytes (longest {max(map(len, long))})"
    assert "cam\\x0a2026-01-01" in log, "the name is not logged escaped"
