"""Re-runs change nothing; a re-delivered file (a copy under a new name) changes nothing.

A re-run with nothing new is a no-op that says so and does not write the warehouse; any
change to what a run reads (a landing file, the policy, the calendar week, the warehouse
itself) makes the next run a real one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import CONTRACT_SAMPLE, query, run_trustloop, step_lines, trustloop_env

pytestmark = pytest.mark.slow

RAW_COUNTS = "select (select count(*) from raw.tickets), (select count(*) from raw.agent_logs)"
MARTS_SQL = """select table_name from information_schema.tables
               where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"""


def snapshot(warehouse):
    """Every mart's rows, as sorted tuples (order-independent)."""
    tables = [t for (t,) in query(warehouse, MARTS_SQL)]
    return {t: sorted(map(repr, query(warehouse, f'select * from marts."{t}"'))) for t in tables}


def test_second_run_and_redelivered_copy_change_nothing(conformance_build, tmp_path):
    """The session's contract-sample build, copied with its landing folder: the copy's first run is a second
    run over the same files (in another folder, so a real run, not a no-op), then a no-op, then forced."""
    built, _, _ = conformance_build
    first = snapshot(built)
    assert first["rpt_metrics_export"], "the export must not be empty"
    raw_counts = query(built, RAW_COUNTS)
    predictions = "select ticket_id, predicted_risk, model_version from ml.case_predictions order by 1"
    landing = tmp_path / "landing"
    shutil.copytree(CONTRACT_SAMPLE / "landing", landing)
    shutil.copytree(built.parent, tmp_path / "work" / "output")  # the warehouse, the stored model, the anchors
    env = trustloop_env(tmp_path / "work", landing)
    warehouse = Path(env["TRUSTLOOP_WAREHOUSE"])

    proc = run_trustloop(["run"], env)
    second = proc.stdout
    assert ": OK" in second and "up to date" not in second
    # while it ran, a line per step on stderr as the step ended: every step once, in order, timed
    steps = step_lines(proc.stderr)
    run_id = second.split(":", 1)[0].removeprefix("trustloop run ")
    assert f"trustloop run {run_id}: {len(steps)} steps" in proc.stderr.splitlines()
    assert [place for place, *_ in steps] == list(range(1, len(steps) + 1))
    assert {total for _, total, *_ in steps} == {len(steps)} and len(steps) >= 20
    assert len({step for _, _, step, *_ in steps}) == len(steps)
    assert {"raw__tickets", "raw__agent_logs", "trustloop_dbt", "ml__case_predictions"} <= {s[2] for s in steps}
    assert all(seconds is not None and outcome is None for *_, seconds, outcome in steps)
    # the steps' own times: the dbt build is the longest step of this run
    assert max(steps, key=lambda s: s[3])[2] == "trustloop_dbt"
    assert snapshot(warehouse) == first
    assert query(warehouse, RAW_COUNTS) == raw_counts
    assert query(warehouse, predictions) == query(built, predictions)
    # the same files under another folder are the files already read: nothing new is stored
    files_with_new_rows = "select count(*) from raw.file_ledger where rows_new > 0"
    assert query(warehouse, files_with_new_rows) == query(built, files_with_new_rows)
    # the second run appended its recommendations to the history under its own run id: the same ones (both
    # runs' rows together hold no more distinct recommendations than one run's mart)
    runs = query(warehouse, "select run_id, count(*) from history.autonomy_recommendations group by 1")
    assert len(runs) == 2 and len({n for _, n in runs}) == 1
    same = query(warehouse, """select count(distinct case_type || action || recommended_tier)
                               from history.autonomy_recommendations""")[0][0]
    assert same == query(built, "select count(*) from marts.rpt_autonomy_recommendations")[0][0]

    before = warehouse.stat().st_mtime_ns
    proc = run_trustloop(["run"], env)
    again = proc.stdout
    assert "up to date - nothing changed since run" in again
    assert step_lines(proc.stderr) == [] and "steps" not in proc.stderr  # a no-op starts no job
    assert warehouse.stat().st_mtime_ns == before, "a no-op run must not write the warehouse"
    assert snapshot(warehouse) == first
    assert query(warehouse, RAW_COUNTS) == raw_counts

    # validating the suites again appends results but changes no evidence: the next run is still a no-op
    validations = query(warehouse, "select count(*) from quality.validation_results")[0][0]
    run_trustloop(["quality", "--validate"], env)
    assert query(warehouse, "select count(*) from quality.validation_results")[0][0] > validations
    assert "up to date - nothing changed since run" in run_trustloop(["run"], env).stdout

    # a forced re-run that finds only re-deliveries: a copy under a new name (skipped by its content hash)
    # and the same rows in a renamed *and* edited file (one extra blank line: read, every row a duplicate)
    shutil.copy(landing / "agent_logs" / "events_1.jsonl", landing / "agent_logs" / "events_1_copy.jsonl")
    text = (landing / "tickets" / "tickets_a.csv").read_text()
    (landing / "tickets" / "zz_edited.csv").write_text(text + "\n")
    proc = run_trustloop(["run", "--force", "--quiet"], env)
    forced = proc.stdout
    assert "up to date" not in forced and ": OK" in forced
    assert step_lines(proc.stderr) == [] and " steps" not in proc.stderr  # --quiet: the summary only
    assert snapshot(warehouse) == first
    assert query(warehouse, RAW_COUNTS) == raw_counts
    ledger = dict(query(warehouse, "select file, status from raw.file_ledger"))
    assert ledger["agent_logs/events_1_copy.jsonl"] == "skipped_duplicate_file"
    [(status, read, dup, quarantined)] = query(
        warehouse,
        "select status, rows_read, rows_duplicate, rows_quarantined from raw.file_ledger where file = 'tickets/zz_edited.csv'",
    )
    assert (status, read, dup, quarantined) == ("loaded", 257, 257, 0)


def test_what_makes_the_next_run_a_real_one(conformance_build, tmp_path, monkeypatch):
    """The fingerprint a successful run records, against each kind of change (no run needed to check it)."""
    import datetime as dt

    import duckdb

    from trustloop.settings import get_settings
    from trustloop.state import inputs_fingerprint, up_to_date

    warehouse, env, _ = conformance_build
    work = tmp_path / "work"
    shutil.copytree(warehouse.parent, work / "output")
    landing = tmp_path / "landing"
    shutil.copytree(CONTRACT_SAMPLE / "landing", landing, copy_function=shutil.copy2)  # same mtimes
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TRUSTLOOP_OUTPUT_DIR", str(work / "output"))
    monkeypatch.setenv("TRUSTLOOP_WAREHOUSE", str(work / "output" / warehouse.name))
    monkeypatch.setenv("TRUSTLOOP_LANDING_DIR", str(landing))
    settings = get_settings()
    from trustloop.state import record_success

    record_success(settings, inputs_fingerprint(settings), "run-1")
    assert up_to_date(settings, inputs_fingerprint(settings)) == "run-1"

    # a new landing file, even a copy of one already read
    new_file = landing / "tickets" / "zz_new.csv"
    new_file.write_text((landing / "tickets" / "tickets_a.csv").read_text())
    assert up_to_date(settings, inputs_fingerprint(settings)) is None
    new_file.unlink()
    assert up_to_date(settings, inputs_fingerprint(settings)) == "run-1"

    # the policy edited
    policy = tmp_path / "policy.yml"
    policy.write_text(settings.policy_file.read_text() + "\n# reviewed again\n")
    monkeypatch.setenv("TRUSTLOOP_POLICY", str(policy))
    assert up_to_date(get_settings(), inputs_fingerprint(get_settings())) is None
    monkeypatch.setenv("TRUSTLOOP_POLICY", str(settings.policy_file))

    # another calendar week (the scorecard's latest complete week follows it)
    assert up_to_date(settings, inputs_fingerprint(settings, today=dt.date(2031, 1, 6))) is None

    # a write that changes no evidence, under keeping_current (as `quality --validate` does): still current
    from trustloop.state import keeping_current

    with keeping_current(settings):
        con = duckdb.connect(str(settings.warehouse))
        con.execute("create table main.results_like as select 1 as x")
        con.close()
    assert up_to_date(settings, inputs_fingerprint(settings)) == "run-1"

    # the warehouse written outside a recorded run (a hand edit, an erase)
    con = duckdb.connect(str(settings.warehouse))
    con.execute("drop table marts.rpt_metrics_export")
    con.close()
    assert up_to_date(settings, inputs_fingerprint(settings)) is None
    # ... and keeping_current does not bless a change made before it
    with keeping_current(settings):
        con = duckdb.connect(str(settings.warehouse))
        con.execute("create table main.scratch as select 1 as x")
        con.close()
    assert up_to_date(settings, inputs_fingerprint(settings)) is None
