"""The benchmark harness on a landing folder it did not generate (`python -m bench --landing`).

Checks what the harness writes, not how fast anything is: every run measured as a whole process,
the folder's size counted from the warehouse, the ~1 % increment added to a copy (the folder given
is left as it was), and the results written beside the runs, not over bench/results.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import CONTRACT_SAMPLE, PROJECT

pytestmark = pytest.mark.slow

LANDING = CONTRACT_SAMPLE / "landing"


def _fingerprint(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_harness_measures_a_given_landing_folder_without_changing_it(tmp_path):
    committed = (PROJECT / "bench" / "results.md").read_bytes()
    before = _fingerprint(LANDING)
    work = tmp_path / "work"
    # without the forced re-run: one whole run less, and the table must say it was not measured
    proc = subprocess.run([sys.executable, "-m", "bench", "--landing", str(LANDING), "--work", str(work), "--keep",
                           "--no-forced"],
                          cwd=PROJECT, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-4000:]

    saved = json.loads((work / "results.json").read_text())
    (result,) = saved["results"]
    expected = json.loads((CONTRACT_SAMPLE / "expected_counts.json").read_text())
    assert result["tickets"] == expected["tickets_distinct"] == 400
    assert result["landing_source"] == str(LANDING.resolve())
    assert result["generate"] is None
    assert result["landing_bytes"] == sum(p.stat().st_size for p in LANDING.rglob("*") if p.is_file())
    # 50 tickets (the minimum increment) as new text files: tickets, agent-log events and QA reviews, incidents
    assert result["increment_files"] >= 3
    for run in ("floor", "full", "incremental", "noop"):
        assert result[run]["returncode"] == 0 and result[run]["seconds"] > 0 and result[run]["peak_rss_mib"] > 0, run
    assert result["forced"] is None
    # the floor is the fastest of three passes, each kept
    passes = result["floor"]["seconds_all"]
    assert len(passes) == 3 and all(s > 0 for s in passes) and result["floor"]["seconds"] == min(passes)
    # each run that started a job run carries its step times, read from the work folder's Dagster storage
    full_job, incremental_job = result["full"]["job"], result["incremental"]["job"]
    assert result["noop"]["job"] is None  # nothing changed: no job run
    assert full_job["run_id"] != incremental_job["run_id"]
    for job, run in ((full_job, "full"), (incremental_job, "incremental")):
        assert {"raw__agent_logs", "raw__tickets", "trustloop_dbt", "trustloop_dbt_decisions",
                "ml__case_predictions", "trust__snapshot"} <= set(job["steps"]), run
        assert job["steps"]["trustloop_dbt"] > 0.5, run  # dbt builds and tests 35 models in either run
        assert 0 < sum(job["steps"].values()) <= job["job_seconds"] + 0.2 <= result[run]["seconds"] + 0.2, run
    # the floor computed the export from the copy as given (before the increment): the sample's 719 rows
    with open(work / "landing1" / "floor.csv") as floor:
        assert sum(1 for _ in floor) == 1 + 719
    copied = work / "landing1" / "landing"
    added = sorted(p.name for p in copied.rglob("zz_increment_*"))
    assert len(added) == result["increment_files"]
    assert {k: v for k, v in _fingerprint(copied).items() if "zz_increment_" not in k} == before

    # the increment is shaped like the folder: within its own period (the sample's spring 2026, not the
    # demo's autumn; dated after it, it would open a week of 1 % volume that the raw suites rightly refuse)
    # and of its case types (the demo's would make the incremental run retrain the risk model)
    with duckdb.connect(str(work / "landing1" / "output" / "warehouse.duckdb"), read_only=True) as con:
        (own_first, own_last, new_first, new_last), = con.execute(
            """select min(created_at) filter (where not added), max(created_at) filter (where not added),
                      min(created_at) filter (where added), max(created_at) filter (where added)
               from (select created_at, _file like '%zz_increment_%' as added from raw.tickets)""").fetchall()
        own_events, new_events = con.execute(
            """select max(occurred_at) filter (where _file not like '%zz_increment_%'),
                      max(occurred_at) filter (where _file like '%zz_increment_%') from raw.agent_logs""").fetchone()
        types = dict(con.execute(
            """select _file like '%zz_increment_%', list(distinct case_type) from raw.tickets
               where case_type is not null group by 1""").fetchall())
        own_types, new_types = set(types[False]), set(types.get(True, []))
        (reason,) = con.execute("select retrain_reason from ml.model_runs order by run_at offset 1 limit 1").fetchone()
    assert own_last.year == 2026 and own_last.month <= 5
    assert own_first - dt.timedelta(days=7) <= new_first and new_last <= max(own_last, own_events)
    assert new_events <= max(own_last, own_events)
    assert new_types and new_types <= own_types
    # the incremental run may retrain (50 new tickets are 12 % of the sample), but not for unseen case types
    assert "never saw" not in (reason or ""), reason

    table = (work / "results.md").read_text()
    row = next(line for line in table.splitlines() if line.startswith("| 400 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] == "-"  # nothing generated
    assert cells[4] == f"{result['full']['seconds']:.1f}" and cells[10] == "-" and cells[11].endswith(" / -"), row
    assert f"Landing folders (tickets: source): 400: {LANDING.resolve()}." in table
    assert "- full run <= 2x the floor:" in table and "demo generator" not in table
    assert cells[3] == f"{min(passes):.1f}", row
    assert ("The floor is the fastest of 3 passes, one after another (seconds of each pass: 400: "
            + ", ".join(f"{s:.1f}" for s in passes) + ").") in table
    assert "## Where the time and memory go" not in table  # bench/notes.md belongs to bench/results.md
    # the step table of the largest size: the runs measured, dbt's step as recorded, the whole process last
    assert "Where the time went at 400 tickets" in table
    assert "| step | full run | incremental |" in table and "forced re-run |" not in table
    dbt_row = next(line for line in table.splitlines() if line.startswith("| trustloop_dbt |"))
    assert dbt_row == (f"| trustloop_dbt | {full_job['steps']['trustloop_dbt']:.1f} | "
                       f"{incremental_job['steps']['trustloop_dbt']:.1f} |")
    assert (f"| **whole process** | **{result['full']['seconds']:.1f}** | "
            f"**{result['incremental']['seconds']:.1f}** |") in table

    assert _fingerprint(LANDING) == before  # the increment went into the copy
    assert (PROJECT / "bench" / "results.md").read_bytes() == committed
