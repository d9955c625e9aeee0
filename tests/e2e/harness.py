"""The liveorigin process under test and the real clients (ffmpeg, ffprobe) that drive it.

Every wait has a deadline; every subprocess has a timeout.
"""
import copy
import http.client
import json
import os
import signal
import socket
import subprocess
import time

import testmedia
from flvstream import FlvClient

HOST = "127.0.0.1"
START_TIMEOUT = 10
STOP_TIMEOUT = 10

# Servers currently running, so a failing test can show their logs (see conftest.py).
RUNNING = []


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port, timeout=0.5):
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------- config


def deep_merge(base, extra):
    out = copy.deepcopy(base)
    for k, v in (extra or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(obj, indent=0):
    """Block-style YAML for nested dicts of scalars and lists (all our configs need)."""
    lines = []
    pad = "  " * indent
    for k, v in obj.items():
        if isinstance(v, dict):
            if v:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 1))
            else:
                lines.append(f"{pad}{k}: {{}}")
        elif isinstance(v, list):
            lines.append(f"{pad}{k}: {json.dumps(v)}")  # JSON is YAML's flow style
        else:
            lines.append(f"{pad}{k}: {_scalar(v)}")
    return "\n".join(lines)


def base_config(rtmp_port, http_port, api_port, data_dir):
    return {
        "server": {
            "rtmp": {"listen": f"{HOST}:{rtmp_port}"},
            "http": {"listen": f"{HOST}:{http_port}"},
            "api": {"listen": f"{HOST}:{api_port}", "token": "t"},
            "data_dir": data_dir,
            "workers": 2,
        },
        "apps": {"live": {"gop_cache": True}},
        "limits": {"publish_timeout": 10, "play_wait": 0, "player_queue": 4},
        "log": {"level": "debug"},
    }


# ---------------------------------------------------------------- server


class Server:
    def __init__(self, binary, workdir, extra_config=None):
        self.binary = binary
        self.workdir = str(workdir)
        self.extra_config = extra_config or {}
        self.config_path = os.path.join(self.workdir, "liveorigin.yaml")
        self.log_path = os.path.join(self.workdir, "liveorigin.log")
        self.data_dir = os.path.join(self.workdir, "data")
        self.proc = None
        self._log_file = None
        self.exit_code = None
        self.stopped = False

    # URLs
    def rtmp_url(self, stream, app="live"):
        return f"rtmp://{HOST}:{self.rtmp_port}/{app}/{stream}"

    def flv_url(self, stream, app="live"):
        return f"http://{HOST}:{self.http_port}/{app}/{stream}.flv"

    def flv_path(self, stream, app="live"):
        return f"/{app}/{stream}.flv"

    def write_config(self, config=None):
        with open(self.config_path, "w") as f:
            f.write(to_yaml(config if config is not None else self.config) + "\n")

    def start(self):
        # A restart (stop, then start again) is a new process the pool must stop at the end.
        self.stopped = False
        self.exit_code = None
        for attempt in range(3):
            self.rtmp_port, self.http_port, self.api_port = free_port(), free_port(), free_port()
            self.config = deep_merge(
                base_config(self.rtmp_port, self.http_port, self.api_port, self.data_dir), self.extra_config)
            self.write_config()
            self._log_file = open(self.log_path, "ab")
            self._log_file.write(f"=== start attempt {attempt + 1}: {self.binary} -c {self.config_path}\n".encode())
            self._log_file.flush()
            self.proc = subprocess.Popen([self.binary, "-c", self.config_path], cwd=self.workdir,
                                         stdin=subprocess.DEVNULL, stdout=self._log_file,
                                         stderr=subprocess.STDOUT)
            RUNNING.append(self)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if port_open(self.rtmp_port) and port_open(self.http_port):
                    return self
                time.sleep(0.1)
            rc = self.proc.poll()
            if rc is None:
                self._kill()
                raise AssertionError(f"liveorigin did not open its RTMP and HTTP ports within "
                                     f"{START_TIMEOUT}s\n{self.log_tail()}")
            RUNNING.remove(self)
            self._log_file.close()
            if "in use" not in self.log_text().lower():
                raise AssertionError(f"liveorigin exited with {rc} at start\n{self.log_tail()}")
        raise AssertionError(f"liveorigin could not bind free ports\n{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then wait. Returns the exit code, or None if it had to be killed."""
        if self.proc is None:
            return self.exit_code
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                self.exit_code = None
                self._finish()
                return None
        self.exit_code = self.proc.returncode
        self._finish()
        return self.exit_code

    def _kill(self):
        self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def _finish(self):
        if self in RUNNING:
            RUNNING.remove(self)
        if self._log_file and not self._log_file.closed:
            self._log_file.close()

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=60):
        text = self.log_text().splitlines()
        return "--- liveorigin log (last %d lines) ---\n%s" % (lines, "\n".join(text[-lines:]))


# ---------------------------------------------------------------- HTTP


def memory_mib(server, field="VmRSS"):
    """The server process's memory from /proc: VmRSS (now) or VmHWM (peak), in MiB."""
    with open(f"/proc/{server.proc.pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} in /proc/{server.proc.pid}/status")


def http_get(port, path, timeout=5.0, read_body=True, headers=None):
    """(status, headers dict lower-cased, body bytes or b'') for a GET; body capped at 64 KiB."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        body = b""
        if read_body and resp.status != 200:
            body = resp.read(65536)
        return resp.status, hdrs, body
    finally:
        conn.close()


def flv_status(server, stream, app="live", timeout=5.0):
    return http_get(server.http_port, server.flv_path(stream, app), timeout=timeout)[0]


def wait_live(server, stream, app="live", timeout=15.0):
    """Poll the HTTP-FLV URL until it answers 200."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = flv_status(server, stream, app)
            if last == 200:
                return
        except OSError as e:
            last = repr(e)
        time.sleep(0.2)
    raise AssertionError(f"stream {app}/{stream} not live within {timeout}s (last answer: {last})")


def read_until_eof(client, timeout):
    """Read tags until the server ends the stream; fail if it has not within TIMEOUT s."""
    deadline = time.monotonic() + timeout
    n = 0
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"HTTP-FLV player still open {timeout}s later ({n} tags read meanwhile)"
        try:
            tag = client.read_tag(timeout=remaining)
        except socket.timeout:
            raise AssertionError(f"HTTP-FLV player still open {timeout}s later ({n} tags read meanwhile)")
        except (EOFError, ConnectionError):
            return  # closed mid-tag, or reset: ended as well
        if tag is None:
            return
        n += 1


def wait_offline(server, stream, app="live", timeout=10.0):
    """Poll the HTTP-FLV URL until it answers 404. Returns seconds waited."""
    start = time.monotonic()
    last = None
    while time.monotonic() - start < timeout:
        try:
            last = flv_status(server, stream, app)
            if last == 404:
                return time.monotonic() - start
        except OSError as e:
            last = repr(e)
        time.sleep(0.2)
    raise AssertionError(f"stream {app}/{stream} still not 404 after {timeout}s (last answer: {last})")


# ---------------------------------------------------------------- ffmpeg / ffprobe


class Proc:
    """A client subprocess (ffmpeg) with its output in a log file; killed by cleanup()."""

    def __init__(self, cmd, log_path, stdin=subprocess.DEVNULL):
        self.cmd = cmd
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=stdin, stdout=self._log, stderr=subprocess.STDOUT)

    def poll(self):
        return self.proc.poll()

    def wait(self, timeout):
        """Exit code; raises AssertionError if it did not exit within TIMEOUT."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.cmd[0]} still running after {timeout}s: {' '.join(self.cmd)}\n"
                                 f"{self.output()[-3000:]}")

    def output(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        self._log.close()


FFMPEG = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning"]


def publish_cmd(media, url, realtime=True):
    cmd = list(FFMPEG)
    if realtime:
        cmd += ["-re", "-stream_loop", "-1"]
    cmd += ["-i", testmedia.media_path(media), "-c", "copy", "-f", "flv", url]
    return cmd


def ffprobe(url, timeout=30, rw_timeout=10):
    """(returncode, parsed JSON or None, stderr) of ffprobe -show_streams on URL."""
    cmd = ["ffprobe", "-v", "error", "-rw_timeout", str(int(rw_timeout * 1e6)), "-show_streams",
           "-of", "json", url]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"ffprobe hung for {timeout}s on {url}")
    data = None
    if res.returncode == 0:
        try:
            data = json.loads(res.stdout)
        except ValueError:
            pass
    return res.returncode, data, res.stderr


def streams_by_type(probe):
    out = {}
    for s in (probe or {}).get("streams", []):
        out.setdefault(s.get("codec_type"), []).append(s)
    return out


def ffmpeg_read(url, seconds=3, timeout=30, extra=None):
    """Read URL for SECONDS with ffmpeg (-c copy -f null). (returncode, output)."""
    cmd = [*FFMPEG[:-2], "-loglevel", "error", "-rw_timeout", "10000000", *(extra or []), "-i", url,
           "-t", str(seconds), "-c", "copy", "-f", "null", "-"]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"ffmpeg reading {url} hung for {timeout}s")
    return res.returncode, res.stderr


# ---------------------------------------------------------------- per-test bookkeeping


class ServerPool:
    """Starts servers for one test (or module) and stops them afterwards, asserting exit 0."""

    def __init__(self, binary, tmp_factory):
        self.binary = binary
        self.tmp_factory = tmp_factory
        self.servers = []

    def start(self, extra_config=None):
        workdir = self.tmp_factory()
        srv = Server(self.binary, workdir, extra_config)
        self.servers.append(srv)
        return srv.start()

    def stop_all(self):
        problems = []
        for srv in self.servers:
            if srv.proc is None or srv.stopped:
                continue  # never started, or the test stopped it and checked the exit itself
            if not srv.alive():
                srv.stop()
                problems.append(f"liveorigin died during the test with exit code {srv.exit_code}\n"
                                f"{srv.log_tail()}")
                continue
            rc = srv.stop()
            if rc is None:
                problems.append(f"liveorigin did not exit within {STOP_TIMEOUT}s of SIGTERM "
                                f"(killed)\n{srv.log_tail()}")
            elif rc != 0:
                problems.append(f"liveorigin exited with {rc} on SIGTERM\n{srv.log_tail()}")
        return problems


class Clients:
    """ffmpeg processes and HTTP-FLV sockets of one test; all ended on teardown."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.procs = []
        self.sockets = []
        self._n = 0

    def _log(self, what):
        self._n += 1
        return str(self.tmp_path / f"client{self._n}-{what}.log")

    def run(self, cmd, what="proc", stdin=subprocess.DEVNULL):
        p = Proc(cmd, self._log(what), stdin=stdin)
        self.procs.append(p)
        return p

    def publish(self, server, stream, media="av.flv", app="live", query="", realtime=True):
        url = server.rtmp_url(stream, app) + query
        return self.run(publish_cmd(media, url, realtime), what="publish")

    def rtmp_player(self, server, stream, app="live"):
        """ffmpeg playing the RTMP URL until the stream ends."""
        cmd = [*FFMPEG, "-rw_timeout", "10000000", "-i", server.rtmp_url(stream, app),
               "-c", "copy", "-f", "null", "-"]
        return self.run(cmd, what="rtmp-play")

    def flv(self, server, stream, app="live", query="", timeout=10.0):
        c = FlvClient(HOST, server.http_port, server.flv_path(stream, app) + query, timeout=timeout)
        self.sockets.append(c)
        return c

    def cleanup(self):
        for s in self.sockets:
            s.close()
        for p in self.procs:
            p.cleanup()

    def report(self):
        out = []
        for p in self.procs:
            out.append(f"--- {' '.join(p.cmd)} (exit {p.poll()}) ---\n{p.output()[-2000:]}")
        return "\n".join(out)
