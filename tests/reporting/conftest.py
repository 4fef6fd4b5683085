"""Fixtures of the reporting tests: the demo warehouse's report folder, warehouse copies, Chromium.

``report_build`` runs the real CLI, ``trustloop report --out DIR``, on the session's demo
warehouse (tests/conftest.py) once, and returns the folder with the scorecard, memos and
finance export. ``warehouse_copy`` gives a test its own copy of the demo warehouse to alter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT, run_trustloop

CHROMIUM = os.environ.get("TRUSTLOOP_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TRUSTLOOP_TEST_ARTIFACTS", PROJECT / "tests" / "artifacts"))
# nothing the page does may reach the network: no proxy that works, no name that resolves
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
]


@dataclass
class ReportBuild:
    out: Path
    env: dict[str, str]
    stdout: str
    warehouse: Path

    @property
    def scorecard(self) -> Path:
        found = sorted(self.out.glob("scorecard_*.html"))
        assert len(found) == 1, found
        return found[0]


@pytest.fixture(scope="session")
def report_build(demo_build, tmp_path_factory) -> ReportBuild:
    warehouse, env, _ = demo_build
    out = tmp_path_factory.mktemp("report") / "out"
    proc = run_trustloop(["report", "--out", str(out)], env)
    return ReportBuild(out, env, proc.stdout, warehouse)


@pytest.fixture
def warehouse_copy(demo_warehouse, tmp_path) -> Path:
    target = tmp_path / "warehouse.duckdb"
    shutil.copy2(demo_warehouse, target)
    return target


def require_chromium() -> str:
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    message = (
        f"headless Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium) "
        "to run the browser tests"
    )
    if os.environ.get("CI"):
        pytest.fail(message + " - CI must run them", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary; asked for first, so a run without it skips before building anything."""
    return require_chromium()


@dataclass
class BrowserRun:
    dom: str
    netlog: dict
    stderr: str


def run_chromium(url: str, workdir: Path, *extra: str, timeout: int = 180) -> BrowserRun:
    """Load ``url`` in headless Chromium, offline; returns the DOM it dumped and its network log."""
    chromium = require_chromium()
    workdir.mkdir(parents=True, exist_ok=True)
    netlog = workdir / "netlog.json"
    profile = workdir / "profile"
    proc = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--log-net-log={netlog}", *extra, url],
        capture_output=True, text=True, timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return BrowserRun(proc.stdout, json.loads(netlog.read_text()) if netlog.exists() else {}, proc.stderr)


def page_requests(netlog: dict) -> list[tuple[str, str]]:
    """(initiator, url) of every network request made on behalf of a page.

    Chromium's own background requests carry the initiator "not an origin"; anything a page asks
    for carries the page's origin ("null" for a file:// page).
    """
    types = {v: k for k, v in netlog["constants"]["logEventTypes"].items()}
    out = []
    for event in netlog.get("events", []):
        params = event.get("params") or {}
        if types.get(event["type"]) == "URL_REQUEST_START_JOB" and "url" in params:
            if params.get("initiator") != "not an origin":
                out.append((params.get("initiator"), params["url"]))
    return out


def bytes_sent(netlog: dict) -> list[str]:
    """Network events that sent bytes on a socket (none, when nothing left the machine)."""
    types = {v: k for k, v in netlog["constants"]["logEventTypes"].items()}
    return [types[e["type"]] for e in netlog.get("events", []) if "BYTES_SENT" in types.get(e["type"], "")]
