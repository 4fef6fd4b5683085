"""Trust lookup from the CLI, Python and the HTTP service (started on loopback), which must agree."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import PROJECT, TRUSTLOOP, run_trustloop
from tests.trust.conftest import AGENT, PLANTED_PII, TICKET, clone_build

STARTUP_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(env: dict[str, str]):
    """`trustloop serve` on a free loopback port; yields the base URL; stops it afterwards."""
    port = _free_port()
    proc = subprocess.Popen(
        [TRUSTLOOP, "serve", "--port", str(port)], env=env, cwd=PROJECT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"trustloop serve exited {proc.returncode}: {proc.stderr.read()}")
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("trustloop serve did not answer in time")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(pii_build):
    with serving(pii_build[2]) as base:
        yield base


def test_cli_lookup(pii_build):
    proc = run_trustloop(["lookup", AGENT], pii_build[2])
    result = json.loads(proc.stdout)
    assert result["agent_id"] == AGENT
    assert 0 <= result["score"] <= 1000
    assert result["tier"] in {"trusted", "established", "developing", "watch", "restricted"}
    assert set(result["components"]) == {"pact", "escalation", "dispute", "incident", "evidence"}
    # the components explain the score
    points = sum(c["points"] for c in result["components"].values())
    assert abs(points - result["score"]) <= 1
    assert result["evidence"]["evaluated_cases"] >= 1 and result["as_of"] >= result["week_start"]
    autonomy = {a["case_type"]: a for a in result["autonomy"]}
    assert "flight_change" in autonomy
    assert all(a["current_tier"] in {"shadow", "triage", "suggest", "resolve"} for a in autonomy.values())
    assert result["history"][-1]["score"] == result["score"]
    # each past week says whether its tier was capped for want of evidence, as the latest does
    assert result["history"][-1]["is_provisional"] == result["is_provisional"]
    assert all(isinstance(h["is_provisional"], bool) for h in result["history"])
    # a breached policy limit is named, and caps the published tier
    assert result["is_in_breach"] == bool(result["breaches"]) == result["history"][-1]["is_in_breach"]
    if result["is_in_breach"]:
        assert result["tier"] in {"watch", "restricted"}


def test_python_lookup_matches_cli(pii_build, monkeypatch):
    for key in ("TRUSTLOOP_OUTPUT_DIR", "TRUSTLOOP_WAREHOUSE"):
        monkeypatch.setenv(key, pii_build[2][key])
    from trustloop import lookup

    cli = json.loads(run_trustloop(["lookup", AGENT], pii_build[2]).stdout)
    assert lookup(AGENT) == cli


def test_cli_unknown_agent(pii_build):
    proc = run_trustloop(["lookup", "agent_nobody"], pii_build[2], check=False)
    assert proc.returncode == 2 and "agent_nobody" in proc.stderr and "Traceback" not in proc.stderr


def test_http_score_matches_cli(server, pii_build):
    cli = json.loads(run_trustloop(["lookup", AGENT], pii_build[2]).stdout)
    response = httpx.get(f"{server}/api/v1/scores/{AGENT}", timeout=30)
    assert response.status_code == 200
    assert response.json() == cli


def test_http_health_names_the_snapshot_it_serves(server, pii_build):
    health = httpx.get(f"{server}/api/v1/health", timeout=30).json()
    published = json.loads(run_trustloop(["lookup", AGENT], pii_build[2]).stdout)["published"]
    assert health["status"] == "ok" and health["source"] == "snapshot"
    assert (health["run_id"], health["published_at"]) == (published["run_id"], published["published_at"])
    assert health["policy_version"]


def test_http_404s(server):
    for path in ("/api/v1/scores/agent_nobody", "/api/v1/cases/T-NOBODY/evidence"):
        response = httpx.get(server + path, timeout=30)
        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "not_found" and "NOBODY" in body["detail"].upper()


def test_http_evidence(server):
    response = httpx.get(f"{server}/api/v1/cases/{TICKET}/evidence", timeout=30)
    assert response.status_code == 200
    packet = response.json()
    assert packet["ticket_id"] == TICKET and packet["summary"]["escalation"]["is_compliant"] is True
    for needle in PLANTED_PII:
        assert needle not in response.text


def test_openapi_and_read_only(server):
    spec = httpx.get(f"{server}/openapi.json", timeout=30).json()
    assert "/api/v1/scores/{agent_id}" in spec["paths"] and "/api/v1/cases/{ticket_id}/evidence" in spec["paths"]
    assert all(set(ops) <= {"get"} for ops in spec["paths"].values())
    assert httpx.post(f"{server}/api/v1/scores/{AGENT}", timeout=30).status_code == 405


@pytest.mark.slow
def test_service_keeps_answering_while_a_run_writes(pii_build, pii_landing, tmp_path):
    """A run that loads new data writes the warehouse; the service answers throughout, then serves the new snapshot."""
    landing = tmp_path / "landing"
    shutil.copytree(pii_landing, landing)
    # new data for the run to write: a copy of a ticket file under another name and a few changed rows
    source = landing / "tickets" / "zz_planted.csv"
    (landing / "tickets" / "zzz_more.csv").write_text(source.read_text().replace("T-PII-", "T-MORE-"))
    _warehouse, env = clone_build(pii_build, tmp_path, landing)
    snapshot = Path(env["TRUSTLOOP_OUTPUT_DIR"]) / "snapshot" / "trust.duckdb"
    before = snapshot.stat().st_mtime_ns
    with serving(env) as base:
        first = httpx.get(f"{base}/api/v1/scores/{AGENT}", timeout=30).json()
        run = subprocess.Popen([TRUSTLOOP, "run"], env=env, cwd=PROJECT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        statuses = []
        try:
            deadline = time.monotonic() + 900
            while run.poll() is None and time.monotonic() < deadline:
                statuses.append(httpx.get(f"{base}/api/v1/scores/{AGENT}", timeout=30).status_code)
                time.sleep(0.1)
        finally:
            if run.poll() is None:
                run.kill()
            output = run.communicate(timeout=60)[0]
        assert run.returncode == 0, output[-3000:]
        after = httpx.get(f"{base}/api/v1/scores/{AGENT}", timeout=30).json()
    assert len(statuses) >= 5 and set(statuses) == {200}
    assert snapshot.stat().st_mtime_ns > before
    assert after["published"]["run_id"] != first["published"]["run_id"]
