"""Start a Dagster UI process on a free loopback port, talk GraphQL to it, and always stop it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from trustloop.settings import write_dagster_yaml

PROJECT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 240  # seconds: a bound on start-up (import + dbt manifest + code server), not a timing assertion
STOP_TIMEOUT = 60

ASSET_GRAPH_QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    description
    isMaterializable
    dependencyKeys { path }
    owners { __typename ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
  }
}
"""

REPOSITORIES_QUERY = """
{
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes {
        name
        location { name }
        jobs { name }
        schedules { name scheduleState { status } }
        sensors { name sensorState { status } }
      }
    }
    ... on PythonError { message }
  }
}
"""

WORKSPACE_QUERY = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message stack } }
      }
    }
  }
}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ui_env(workdir: Path) -> dict[str, str]:
    """Environment of a UI process whose every file lives under ``workdir``."""
    dagster_home = workdir / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    write_dagster_yaml(dagster_home)
    env = dict(os.environ)
    env.update(
        TRUSTLOOP_OUTPUT_DIR=str(workdir / "output"),
        TRUSTLOOP_WAREHOUSE=str(workdir / "output" / "warehouse.duckdb"),
        TRUSTLOOP_LANDING_DIR=str(workdir / "landing"),
        DAGSTER_HOME=str(dagster_home),
        DAGSTER_DISABLE_TELEMETRY="1",
        DO_NOT_TRACK="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env


@dataclass
class UiProcess:
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def graphql(self, query: str) -> dict:
        request = urllib.request.Request(
            self.url + "/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.loads(response.read())
        if payload.get("errors"):
            raise AssertionError(f"GraphQL errors: {payload['errors']}")
        return payload["data"]

    def wait_until_ready(self) -> None:
        """Poll (bounded) until the server answers and the code location has loaded."""
        deadline = time.monotonic() + READY_TIMEOUT
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the UI process exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                data = self.graphql(WORKSPACE_QUERY)["workspaceOrError"]
                entries = data.get("locationEntries") or []
                if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                    errors = [e for e in entries if e["locationOrLoadError"]["__typename"] == "PythonError"]
                    if errors:
                        raise AssertionError(f"the code location failed to load: {errors[0]['locationOrLoadError']}")
                    return
                last = f"workspace: {data}"
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError) as exc:
                last = repr(exc)
            time.sleep(1)
        raise AssertionError(f"the UI did not become ready in {READY_TIMEOUT} s ({last}):\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Stop the process with ``sig``; kill its whole session if it does not exit. Returns its exit code."""
        code = None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            try:
                code = self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                code = None
        else:
            code = self.proc.returncode
        # whatever it left behind (code server, daemon) is in its own session: end that session
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        return code


@contextlib.contextmanager
def running_ui(cmd: list[str], env: dict[str, str], log: Path, stop_signal: int = signal.SIGTERM) -> Iterator[UiProcess]:
    """Start ``cmd`` (which must listen on the port given in it) in its own session; always stop it."""
    port = int(cmd[cmd.index("-p") + 1]) if "-p" in cmd else int(cmd[cmd.index("--port") + 1])
    with open(log, "wb") as handle:
        proc = subprocess.Popen(
            cmd, cwd=PROJECT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    ui = UiProcess(proc=proc, port=port, log=log)
    try:
        yield ui
    finally:
        ui.stop(stop_signal)


def asset_graph(ui: UiProcess) -> dict:
    """The asset graph as the UI shows it: keys, groups, deps, owners; plus jobs, schedules and sensors."""
    nodes = ui.graphql(ASSET_GRAPH_QUERY)["assetNodes"]
    repos = ui.graphql(REPOSITORIES_QUERY)["repositoriesOrError"]
    assert repos["__typename"] == "RepositoryConnection", repos
    repo_nodes = repos["nodes"]
    return {
        "assets": sorted(
            (
                {
                    "key": "/".join(n["assetKey"]["path"]),
                    "group": n["groupName"],
                    "deps": sorted("/".join(d["path"]) for d in n["dependencyKeys"]),
                    "owners": sorted(o.get("team") or o.get("email") for o in n["owners"]),
                    "has_description": bool((n["description"] or "").strip()),
                    "is_materializable": n["isMaterializable"],
                }
                for n in nodes
            ),
            key=lambda a: a["key"],
        ),
        "jobs": sorted(j["name"] for r in repo_nodes for j in r["jobs"] if not j["name"].startswith("__")),
        "schedules": sorted(s["name"] for r in repo_nodes for s in r["schedules"]),
        "sensors": sorted(s["name"] for r in repo_nodes for s in r["sensors"]),
    }
