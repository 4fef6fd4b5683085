"""Re-runs change nothing; a re-delivered file (a copy under a new name) changes nothing."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import CONTRACT_SAMPLE, build_warehouse, query, run_trustloop

pytestmark = pytest.mark.slow

MARTS_SQL = """select table_name from information_schema.tables
               where table_schema = 'marts' and table_type = 'BASE TABLE' order by 1"""


def snapshot(warehouse):
    """Every mart's rows, as sorted tuples (order-independent)."""
    tables = [t for (t,) in query(warehouse, MARTS_SQL)]
    return {t: sorted(map(repr, query(warehouse, f'select * from marts."{t}"'))) for t in tables}


def test_second_run_and_redelivered_copy_change_nothing(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(CONTRACT_SAMPLE / "landing", landing)
    warehouse, env, _ = build_warehouse(tmp_path / "work", landing)
    first = snapshot(warehouse)
    assert first["rpt_metrics_export"], "the export must not be empty"
    raw_counts = query(warehouse, "select (select count(*) from raw.tickets), (select count(*) from raw.agent_logs)")

    run_trustloop(["run"], env)
    assert snapshot(warehouse) == first
    assert query(warehouse, "select (select count(*) from raw.tickets), (select count(*) from raw.agent_logs)") == raw_counts

    shutil.copy(landing / "agent_logs" / "events_1.jsonl", landing / "agent_logs" / "events_1_copy.jsonl")
    shutil.copy(landing / "tickets" / "tickets_b.csv", landing / "tickets" / "zz_redelivered.csv")
    run_trustloop(["run"], env)
    assert snapshot(warehouse) == first
    assert query(warehouse, "select (select count(*) from raw.tickets), (select count(*) from raw.agent_logs)") == raw_counts
    ledger = dict(query(warehouse, "select file, status from raw.file_ledger"))
    assert ledger["agent_logs/events_1_copy.jsonl"] == "skipped_duplicate_file"

    # the same rows in a differently named *and* edited file (one extra blank line): read, all duplicates
    text = (landing / "tickets" / "tickets_a.csv").read_text()
    (landing / "tickets" / "zz_edited.csv").write_text(text + "\n")
    run_trustloop(["run"], env)
    assert snapshot(warehouse) == first
    [(status, read, dup, quarantined)] = query(
        warehouse,
        "select status, rows_read, rows_duplicate, rows_quarantined from raw.file_ledger where file = 'tickets/zz_edited.csv'",
    )
    assert (status, read, dup, quarantined) == ("loaded", 257, 257, 0)
