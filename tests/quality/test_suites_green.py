"""On good evidence every suite is green: the demo data and the contract sample,
validated inside the real `trustloop run` (the session fixtures), offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import query, run_trustloop

pytestmark = pytest.mark.slow


def _expected_suites() -> set[str]:
    from orchestration.assets.quality import available_suites

    return {s.name for s in available_suites()}


def _latest(warehouse: Path) -> dict[str, list[tuple]]:
    rows = query(
        warehouse,
        """with latest as (select suite, max(validated_at) as at from quality.validation_results group by suite)
           select r.suite, r.batch, r.expectation, r.subject, r.success, r.observed_value, r.failing_sample
           from quality.validation_results r join latest l on l.suite = r.suite and l.at = r.validated_at""",
    )
    by_suite: dict[str, list[tuple]] = {}
    for row in rows:
        by_suite.setdefault(row[0], []).append(row)
    return by_suite


def _assert_green(build) -> dict[str, list[tuple]]:
    warehouse, env, _stdout = build
    latest = _latest(warehouse)
    assert set(latest) >= _expected_suites()
    failed = [(s, r[1], r[2], r[3], r[5], r[6]) for s, rows in latest.items() for r in rows if not r[4]]
    assert failed == []
    # the statistical guards were judged, not skipped for lack of history
    volume = [r for r in latest["raw_agent_logs"] if r[1] == "weekly_volume" and r[3] is None]
    assert len(volume) == 1 and json.loads(volume[0][5])["element_count"] == 1
    # every landing file read has a stored reconciliation result, and it holds
    files = {r[0] for r in query(warehouse, "select file from raw.file_ledger where status <> 'skipped_duplicate_file'")}
    reconciled = {
        r[3] for s in ("raw_tickets", "raw_agent_logs", "raw_incidents") for r in latest[s] if r[3] is not None
    }
    assert files and files <= reconciled
    # Data Docs written to the output folder, without the remote tracking image
    index = Path(env["TRUSTLOOP_OUTPUT_DIR"]) / "data_docs" / "index.html"
    html = index.read_text()
    for suite in _expected_suites():
        assert f"{suite}." in html
    assert "dataContextId" not in html
    return latest


def test_demo_data_every_suite_green(demo_build):
    latest = _assert_green(demo_build)
    assert latest["fct_evaluations_drift"], "the warning-only drift guard ran too"


def test_contract_sample_every_suite_green(conformance_build):
    _assert_green(conformance_build)


@pytest.mark.parametrize("build", ["conformance_build", "demo_build"])
def test_checks_are_green_in_the_run_itself(build, request):
    """The run's own summary lists no failed gx_ check."""
    _warehouse, _env, stdout = request.getfixturevalue(build)
    failed = [line for line in stdout.splitlines() if line.strip().startswith("FAILED")]
    assert not [line for line in failed if ":gx_" in line], failed


def test_quality_command_prints_latest_results(conformance_build):
    _warehouse, env, _stdout = conformance_build
    proc = run_trustloop(["quality"], env)
    out = proc.stdout
    for suite in _expected_suites():
        assert suite in out
    assert "FAILED" not in out
    assert f"Data Docs: {Path(env['TRUSTLOOP_OUTPUT_DIR']) / 'data_docs' / 'index.html'}" in out

    detail = run_trustloop(["quality", "--suite", "raw_tickets", "--all"], env).stdout
    assert "tickets/tickets_a.csv" in detail and "per-file results hold" in detail
    assert "raw_agent_logs" not in detail
