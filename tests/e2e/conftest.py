"""Fixtures for the end-to-end tests: the server under test and the clients that drive it.

Environment: LIVEORIGIN_BIN (the server binary, required), LIVEORIGIN_MEDIA_DIR (cache for the
generated test media, optional).
"""
import os

import pytest

import harness
from harness import Clients, ServerPool


@pytest.fixture(scope="session")
def liveorigin_bin():
    path = os.environ.get("LIVEORIGIN_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f"LIVEORIGIN_BIN must name the liveorigin binary (got {path!r})")
    return path


@pytest.fixture
def servers(liveorigin_bin, tmp_path):
    counter = iter(range(1000))
    pool = ServerPool(liveorigin_bin, lambda: _mkdir(tmp_path / f"srv{next(counter)}"))
    yield pool
    problems = pool.stop_all()
    assert not problems, "\n".join(problems)


@pytest.fixture
def server(servers):
    """One running liveorigin with the default test config."""
    return servers.start()


def _mkdir(p):
    p.mkdir(parents=True, exist_ok=True)
    return p


@pytest.fixture
def clients(servers, tmp_path, request):
    c = Clients(tmp_path)
    request.node._e2e_clients = c
    yield c
    c.cleanup()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when in ("setup", "call") and report.failed:
        for srv in list(harness.RUNNING):
            report.sections.append((f"liveorigin log ({srv.workdir})", srv.log_text()[-20000:]))
        c = getattr(item, "_e2e_clients", None)
        if c is not None and c.procs:
            report.sections.append(("client output", c.report()))
