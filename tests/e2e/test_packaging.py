"""`cmake --install` and the systemd unit (PRODUCT.md section 13: a systemd unit ships in packaging/).

Installs the build tree of LIVEORIGIN_BIN into a staging directory (DESTDIR, as a package build
does), checks the files and that the unit names them, and runs `systemd-analyze verify` on it.
"""
import os
import re
import shutil
import subprocess

import pytest

INSTALL_TIMEOUT = 120
UNIT = "liveorigin.service"


def cmake_install(liveorigin_bin, destdir, prefix):
    build_dir = os.path.dirname(liveorigin_bin)
    env = dict(os.environ, DESTDIR=str(destdir))
    res = subprocess.run(["cmake", "--install", build_dir, "--prefix", prefix], env=env,
                         capture_output=True, text=True, timeout=INSTALL_TIMEOUT, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, f"cmake --install failed ({res.returncode}):\n{res.stdout}{res.stderr}"
    return res.stdout


def staged(destdir, path):
    return os.path.join(str(destdir), path.lstrip("/"))


def exec_start(unit_text):
    """(binary, config) of the unit's `ExecStart=BIN -c CONFIG`."""
    m = re.search(r"^ExecStart=(\S+) -c (\S+)$", unit_text, re.M)
    assert m, f"no `ExecStart=BIN -c CONFIG` line in the unit:\n{unit_text}"
    return m.group(1), m.group(2)


def installed_unit(destdir, prefix):
    path = staged(destdir, f"{prefix}/lib/systemd/system/{UNIT}")
    assert os.path.isfile(path), f"the unit is not at {path}"
    with open(path) as f:
        return path, f.read()


def test_install_places_binary_config_and_unit(liveorigin_bin, tmp_path):
    root = tmp_path / "root"
    cmake_install(liveorigin_bin, root, "/usr/local")
    _, unit = installed_unit(root, "/usr/local")
    binary, config = exec_start(unit)
    assert (binary, config) == ("/usr/local/bin/liveorigin", "/etc/liveorigin/liveorigin.yaml"), unit
    assert os.access(staged(root, binary), os.X_OK), f"{binary} not installed (executable)"
    with open(staged(root, config)) as f:
        text = f.read()
    assert re.search(r"^  data_dir: /var/lib/liveorigin\b", text, re.M), \
        "the installed config does not keep its state in /var/lib/liveorigin (the unit's StateDirectory)"
    assert "StateDirectory=liveorigin" in unit
    res = subprocess.run([liveorigin_bin, "--check-config", "-c", staged(root, config)],
                         capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, f"the installed config is refused:\n{res.stdout}{res.stderr}"


def test_install_follows_the_prefix(liveorigin_bin, tmp_path):
    root = tmp_path / "root"
    cmake_install(liveorigin_bin, root, "/opt/liveorigin")
    _, unit = installed_unit(root, "/opt/liveorigin")
    binary, _ = exec_start(unit)
    assert binary == "/opt/liveorigin/bin/liveorigin", unit
    assert os.access(staged(root, binary), os.X_OK)


def test_install_keeps_an_existing_config(liveorigin_bin, tmp_path):
    root = tmp_path / "root"
    cmake_install(liveorigin_bin, root, "/usr/local")
    _, unit = installed_unit(root, "/usr/local")
    config = staged(root, exec_start(unit)[1])
    with open(config, "a") as f:
        f.write("# edited by the operator\n")
    out = cmake_install(liveorigin_bin, root, "/usr/local")
    with open(config) as f:
        assert f.read().endswith("# edited by the operator\n"), f"a second install overwrote the config:\n{out}"


def test_systemd_analyze_verifies_the_unit(liveorigin_bin, tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    root = tmp_path / "root"
    cmake_install(liveorigin_bin, root, "/usr/local")
    path, unit = installed_unit(root, "/usr/local")
    # verify checks that ExecStart's binary exists: point a copy at the staged one.
    binary, config = exec_start(unit)
    copy = tmp_path / "verify" / UNIT
    copy.parent.mkdir()
    copy.write_text(unit.replace(binary, staged(root, binary)).replace(config, staged(root, config)))
    res = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    # verify exits 0 even on unknown keys or bad values: any line about the unit is a failure.
    complaints = [line for line in (res.stdout + res.stderr).splitlines() if UNIT in line]
    assert res.returncode == 0 and not complaints, \
        f"systemd-analyze verify {path} ({res.returncode}):\n{res.stdout}{res.stderr}"


def test_the_compose_clusters_node_config_is_accepted(liveorigin_bin):
    """docker/cluster.yaml (both nodes of docker/compose.yaml) is a config the server takes."""
    config = os.path.join(os.path.dirname(__file__), "..", "..", "docker", "cluster.yaml")
    res = subprocess.run([liveorigin_bin, "--check-config", "-c", config],
                         capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, f"docker/cluster.yaml is refused:\n{res.stdout}{res.stderr}"
    with open(config) as f:
        assert re.search(r'^  redis: "redis://redis:6379/0"$', f.read(), re.M), "the nodes must share the compose's Redis"
