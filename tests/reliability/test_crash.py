"""Crash safety: a run killed with SIGKILL at any point loses and doubles nothing.

One warehouse, one landing folder (the seeded demo plus a 20 MB file of
re-spelled re-deliveries of every event, so that reading one file takes
seconds), and a chain of runs, each killed (the whole process group, dbt
included) at another point:

1. while the big file is being read (it is open, partly read);
2. after that file was read, before its transaction committed (file closed, the
   ingestion step not yet done);
3. between ingestion and dbt (the file ledger step succeeded);
4. inside dbt (its step is under way and some marts are already rebuilt);
5. while the risk model trains (its step started);

after each kill the warehouse must open, every file in the ledger must hold
exactly the rows the ledger says (no file recorded as read that is not fully
stored, no rows of a file the ledger does not know), and every table present
must be complete (equal to the same table of an uninterrupted run: no
half-written table is visible). A last, normal run must then finish and give
the same marts as an uninterrupted run on the same input (the session's
``demo_build``): the big file holds only duplicates, so the input is the same
records.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PROJECT, query, run_trustloop, trustloop_env
from tests.reliability.helpers import (
    RunWatcher,
    diff_snapshots,
    kill_group,
    ledger_problems,
    leftover_relations,
    open_file_position,
    run_dbs,
    snapshot,
    start_run,
    tables,
    wait_until,
)
from tests.reliability.landing_tools import copy_landing, respell_json_line
from trustloop.ingest.reconcile import reconciliation_problems

pytestmark = pytest.mark.slow

# What an uninterrupted run and a recovered run must agree on. Left out, because
# they legitimately depend on the run and not on the data:
# - history.* (append-only: one set of rows per run, with the run id and time),
# - ledger.checkpoints / ledger.erasures (one row per run / per erasure request),
# - quality.validation_results (run id and validation time per run),
# - ml.model_runs (one row per training, with its time), ml.case_predictions.scored_at,
# - raw.file_ledger and raw.quarantine (the big file adds its own ledger row and re-quarantines the
#   demo's bad lines it repeats; both are checked against each other by ledger_problems instead),
# - raw.*._run_id / _loaded_at (which run stored a row), ledger.records' sequence, run ids, times and
#   hash chain (the chain covers the run ids).
COMPARED = {
    "marts": {},
    "intermediate": {},
    "ml": {"case_predictions": ("scored_at",)},
    "raw": {"*": ("_run_id", "_loaded_at")},
}
SKIPPED = {"raw.file_ledger", "raw.quarantine"}  # and every ml table but ml.case_predictions
TRAINING_STEP = "ml__case_predictions"
LEDGER_RECORD_COLUMNS = ("source", "record_key", "file", "line", "row_hash", "raw_sha256")


def compared(warehouse) -> dict:
    snap = {k: v for k, v in snapshot(warehouse, COMPARED).items()
            if k not in SKIPPED and (not k.startswith("ml.") or k == "ml.case_predictions")}
    if "records" in tables(warehouse, "ledger"):
        cols = [c for (c,) in query(
            warehouse,
            "select column_name from information_schema.columns where table_schema = 'ledger' "
            "and table_name = 'records'",
        ) if c in LEDGER_RECORD_COLUMNS]
        rows = query(warehouse, f"select {', '.join(cols)} from ledger.records")
        snap["ledger.records"] = [tuple(cols), *sorted(rows, key=repr)]
    return snap


def write_bulk_redelivery(demo_landing, target) -> int:
    """Every demo event, re-spelled, three times: 60k+ rows that are all duplicates (or the demo's bad lines)."""
    lines = []
    for path in sorted((demo_landing / "agent_logs").glob("events_2026-*.jsonl")):
        lines += path.read_text(encoding="utf-8").splitlines()
    with open(target, "w", encoding="utf-8") as handle:
        for copy in range(3):
            for i, line in enumerate(lines):
                handle.write(respell_json_line(line, copy + i) + "\n")
    return 3 * len(lines)


def assert_consistent(warehouse, reference: dict, stage: str) -> dict:
    """The warehouse after a kill: files fully loaded or not at all; every table present is complete."""
    problems = ledger_problems(warehouse)
    assert not problems, f"after the kill {stage}: " + "; ".join(problems)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if query(warehouse, "select count(*) from information_schema.tables where table_schema = 'raw' "
                            "and table_name = 'file_ledger'")[0][0]:
            assert reconciliation_problems(con) == [], stage
    finally:
        con.close()
    assert leftover_relations(warehouse) == [], f"half-built relations left {stage}"
    got = compared(warehouse)
    partial = {}
    for name, rows in got.items():
        if name.startswith("raw.") or name == "ledger.records":
            continue  # still filling up over the chain; checked at the end
        partial[name] = rows
        assert rows == reference[name], f"{name} is visible but not complete {stage}: " + "; ".join(
            diff_snapshots({name: rows}, {name: reference[name]})
        )
    return partial


class ReadPhase:
    """Tells, from /proc, when a process is in the reading phase of a file and when it is past it.

    The reader takes a file in 32 MiB blocks: while a block is decoded and
    handed to DuckDB the file stays open with its position at the end. Hashing
    the file also opens it, but reaches the end only at the instant it closes;
    "open at its end for 50 ms" therefore means reading.
    """

    def __init__(self, pid: int, path: Path):
        self.pid, self.path, self.size = pid, path, path.stat().st_size
        self.at_end_since: float | None = None
        self.was_reading = False

    def inside(self) -> bool:
        pos = open_file_position(self.pid, self.path)
        now = time.monotonic()
        if pos is None or pos < self.size:
            self.at_end_since = None
            return False
        self.at_end_since = self.at_end_since or now
        self.was_reading = self.was_reading or now - self.at_end_since >= 0.05
        return self.was_reading

    def after(self) -> bool:
        """True once the file was read and is closed again."""
        if self.inside():
            return False
        return self.was_reading and open_file_position(self.pid, self.path) is None


class Record(list):
    """The kill points reached, printed as they happen (shown with -s, and on failure)."""

    def append(self, note: str) -> None:
        super().append(note)
        print(f"\n[crash] {note}", flush=True)


def ledger(warehouse) -> dict[str, tuple]:
    return {
        file: (status, read, new, dup, quar)
        for file, status, read, new, dup, quar in query(
            warehouse, "select file, status, rows_read, rows_new, rows_duplicate, rows_quarantined from raw.file_ledger"
        )
    }


def test_runs_killed_anywhere_recover_to_the_uninterrupted_result(tmp_path, demo_landing, demo_build):
    reference_wh = demo_build[0]
    reference = compared(reference_wh)
    landing = copy_landing(demo_landing, tmp_path / "landing")
    bulk = landing / "agent_logs" / "zz_bulk_redelivery.jsonl"
    bulk_rows = write_bulk_redelivery(demo_landing, bulk)
    bulk_rel = "agent_logs/zz_bulk_redelivery.jsonl"
    size = bulk.stat().st_size
    env = trustloop_env(tmp_path / "work", landing)
    dagster_home = tmp_path / "work" / "dagster_home"
    warehouse = Path(env["TRUSTLOOP_WAREHOUSE"])
    record = Record()

    def launch():
        known = run_dbs(dagster_home)
        proc = start_run(env)
        return proc, RunWatcher(proc, dagster_home, known)

    # 1. while the big file is being read: it is open, read to its end and its rows are being
    #    decoded and handed to DuckDB (hashing it also opens it, but only for an instant at the end)
    proc, _ = launch()
    reading = ReadPhase(proc.pid, bulk)
    wait_until(proc, reading.inside, poll=0.002)
    kill_group(proc)
    record.append(f"killed while reading {bulk_rel} (open, {size} bytes read, rows being decoded)")
    assert_consistent(warehouse, reference, "while reading a file")
    assert bulk_rel not in ledger(warehouse), "a file cut off while being read is in the ledger"
    assert query(warehouse, "select count(*) from raw.agent_logs where _file = ?", [bulk_rel]) == [(0,)]

    # 2. after the big file was read (closed again), before its transaction committed
    proc, watcher = launch()
    reading = ReadPhase(proc.pid, bulk)
    wait_until(proc, lambda: reading.after() and not watcher.step_event("STEP_SUCCESS", "raw__agent_logs"),
               poll=0.002)
    kill_group(proc)
    status = ledger(warehouse).get(bulk_rel)
    record.append(f"killed after reading {bulk_rel}, before the ingestion step ended: ledger row {status}")
    assert_consistent(warehouse, reference, "after reading a file")
    stored = query(warehouse, "select count(*) from raw.agent_logs where _file = ?", [bulk_rel])[0][0]
    assert stored == 0  # all its rows are duplicates: nothing of it is ever stored under its name
    if status is not None:  # the kill came after the commit: then the whole file is recorded
        assert status[0] == "loaded" and status[1] == bulk_rows

    # 3. between ingestion and dbt
    proc, watcher = launch()
    wait_until(proc, lambda: watcher.step_event("STEP_SUCCESS", "raw__file_ledger"))
    kill_group(proc)
    record.append("killed after the file ledger step, before dbt")
    assert_consistent(warehouse, reference, "between ingestion and dbt")
    status = ledger(warehouse)[bulk_rel]
    assert status[:2] == ("loaded", bulk_rows) and status[2] == 0, status
    assert tables(warehouse, "marts") == [], "no run got to dbt yet"
    landing_files = {p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file()
                     and not p.name.startswith(("_", "."))}
    assert set(ledger(warehouse)) == landing_files

    # 4. inside dbt: its step is under way (dbt runs in the run's process) and a few marts are rebuilt
    proc, watcher = launch()
    wait_until(proc, lambda: len(watcher.materialized("marts")) >= 3
               and not watcher.step_event("STEP_SUCCESS", "trustloop_dbt"))
    built = watcher.materialized("marts")
    kill_group(proc)
    partial = assert_consistent(warehouse, reference, "inside dbt")
    record.append(f"killed inside dbt after {len(built)} marts ({', '.join(built)}); "
                  f"{sum(n.startswith('marts.') for n in partial)} marts tables visible, all complete")
    assert any(n.startswith("marts.") for n in partial)
    assert len([n for n in partial if n.startswith("marts.")]) < len([n for n in reference if n.startswith("marts.")])

    # 5. while the risk model trains: a second into its step (without that step, right after dbt)
    proc, watcher = launch()
    if "case_predictions" in (PROJECT / "orchestration" / "definitions.py").read_text():
        wait_until(proc, lambda: watcher.step_event("STEP_START", TRAINING_STEP))
        time.sleep(1.0)
        finished = watcher.step_event("STEP_SUCCESS", TRAINING_STEP)
        note = f"killed 1 s into step {TRAINING_STEP} ({'after' if finished else 'before'} it ended)"
    else:
        wait_until(proc, lambda: watcher.step_event("STEP_SUCCESS", "trustloop_dbt"))
        note = "killed right after the dbt build (this job has no training step)"
    kill_group(proc)
    record.append(note)
    assert_consistent(warehouse, reference, "while training")

    # 6. a normal run completes and equals the uninterrupted one
    result = run_trustloop(["run"], env)
    assert "OK" in result.stdout.splitlines()[0]
    assert ledger_problems(warehouse) == []
    got = compared(warehouse)
    problems = diff_snapshots(got, reference)
    assert not problems, "\n".join(problems)
    # every landing file read exactly once, whatever the kills
    reads = query(warehouse, "select file, count(*) from raw.file_ledger where status <> 'skipped_duplicate_file' "
                             "group by 1 having count(*) <> 1")
    assert reads == []
    (tmp_path / "kill_points.json").write_text(json.dumps(record, indent=1))
