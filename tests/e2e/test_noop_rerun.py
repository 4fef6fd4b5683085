"""A re-run with nothing new is a no-op: it says so and runs nothing; anything that changed means a real run."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from tests.conftest import CONTRACT_SAMPLE, build_warehouse, run_trustloop
from trustloop.settings import get_settings
from trustloop.state import inputs_fingerprint, up_to_date

pytestmark = pytest.mark.slow


def _run_id(out: str) -> str:
    return next(line.split()[2].rstrip(":") for line in out.splitlines() if line.startswith("trustloop run "))


def test_unchanged_inputs_skip_the_run_and_any_change_runs_it(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    shutil.copytree(CONTRACT_SAMPLE / "landing", landing)
    warehouse, env, first = build_warehouse(tmp_path / "work", landing)
    run_id = _run_id(first)
    before = warehouse.stat().st_mtime_ns

    again = run_trustloop(["run"], env).stdout
    assert f"up to date - nothing changed since run {run_id}" in again
    assert warehouse.stat().st_mtime_ns == before, "a no-op run must not write the warehouse"

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = get_settings()
    assert up_to_date(settings, inputs_fingerprint(settings)) == run_id

    # a new landing file, even a copy of one already read, means a run (which then reads only it)
    new_file = landing / "tickets" / "zz_new.csv"
    new_file.write_text((landing / "tickets" / "tickets_a.csv").read_text())
    assert up_to_date(settings, inputs_fingerprint(settings)) is None
    new_file.unlink()
    assert up_to_date(settings, inputs_fingerprint(settings)) == run_id

    # another policy file, or the same one edited
    policy = tmp_path / "policy.yml"
    policy.write_text(settings.policy_file.read_text() + "\n# reviewed again\n")
    monkeypatch.setenv("TRUSTLOOP_POLICY", str(policy))
    assert up_to_date(get_settings(), inputs_fingerprint(get_settings())) is None
    monkeypatch.setenv("TRUSTLOOP_POLICY", str(settings.policy_file))

    # another calendar week (the scorecard's latest complete week moves with it)
    next_week = inputs_fingerprint(settings, today=dt.date(2031, 1, 6))
    assert up_to_date(settings, next_week) is None

    # the warehouse written outside a recorded run (a table dropped by hand, an erase)
    con = duckdb.connect(str(warehouse))
    con.execute("drop table marts.rpt_metrics_export")
    con.close()
    assert up_to_date(settings, inputs_fingerprint(settings)) is None

    rebuilt = run_trustloop(["run"], env).stdout
    assert "up to date" not in rebuilt and ": OK" in rebuilt and _run_id(rebuilt) != run_id
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from marts.rpt_metrics_export").fetchone()[0] > 0
    con.close()

