"""Conformance: the contract-sample landing folder (written by someone else) must
produce expected_metrics.csv row for row and the counts of expected_counts.json."""

from __future__ import annotations

import csv
import json

import pytest

from tests.conftest import CONTRACT_SAMPLE, EXPORT_KEY, export_differences, query, run_trustloop

pytestmark = pytest.mark.slow


def _read(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_metrics_export_reproduces_expected(conformance_build, tmp_path):
    _warehouse, env, _stdout = conformance_build
    out = tmp_path / "export.csv"
    run_trustloop(["metrics", "export", "--out", str(out)], env)
    got = _read(out)

    with open(out) as handle:
        assert handle.readline().strip().split(",") == list(EXPORT_KEY) + ["numerator", "denominator", "value"]
    assert len({tuple(r[k] for k in EXPORT_KEY) for r in got}) == len(got), "duplicate keys in the export"
    differences = export_differences(out, CONTRACT_SAMPLE / "expected_metrics.csv")
    for kind, keys in differences.items():
        assert not keys, f"{len(keys)} rows {kind}, e.g. {keys[:3]}"
    assert len(got) == 719


def test_load_and_quarantine_counts(conformance_warehouse):
    expected = json.loads((CONTRACT_SAMPLE / "expected_counts.json").read_text())
    bad = dict(query(conformance_warehouse, "select source, count(*) from raw.quarantine group by 1"))
    assert bad.get("tickets", 0) == expected["tickets_bad_rows"]
    assert bad.get("agent_logs", 0) == expected["agent_logs_bad_rows"]
    assert bad.get("incidents", 0) == expected["incidents_bad_rows"]
    [(orphans,)] = query(conformance_warehouse, "select count(*) from intermediate.int_events__on_cases where is_orphan")
    assert orphans == expected["agent_logs_orphans"]
    [(tickets,)] = query(conformance_warehouse, "select count(*) from marts.fct_cases")
    assert tickets == expected["tickets_distinct"]
    [(events,)] = query(
        conformance_warehouse, "select count(*) from intermediate.int_events__on_cases where not is_orphan"
    )
    assert events == expected["events_distinct"]
    [(incidents,)] = query(conformance_warehouse, "select count(*) from marts.fct_incidents")
    assert incidents == expected["incidents_distinct"]


def test_every_file_reconciles(conformance_warehouse):
    rows = query(
        conformance_warehouse,
        "select file, rows_read, rows_loaded, rows_quarantined, rows_new, rows_duplicate from raw.file_ledger",
    )
    assert len(rows) == 5
    for file, read, loaded, quarantined, new, duplicate in rows:
        assert read == loaded + quarantined, file
        assert loaded == new + duplicate, file
    by_file = {r[0]: r for r in rows}
    # events_2.jsonl re-delivers 104 events of events_1.jsonl, spelled differently: stored once
    assert by_file["agent_logs/events_2.jsonl"][5] == 104


def test_run_summary_is_printed(conformance_build):
    _warehouse, _env, stdout = conformance_build
    assert "trustloop run" in stdout and ": OK" in stdout
    assert "agent_logs" in stdout and "2187" in stdout  # rows read from the two event files
    assert "marts.rpt_metrics_export" in stdout
    assert "checks:" in stdout and " 0 failed" in stdout


def test_the_run_reports_the_events_it_keeps_but_does_not_count(conformance_build):
    """Orphan events and events of unknown types are kept and reported (landing contract): the run's summary
    names how many, and which unknown types, as the warehouse holds them."""
    warehouse, _, stdout = conformance_build
    [(orphans, unknown, types)] = query(warehouse, """
        select count(*) filter (where is_orphan), count(*) filter (where not is_known_event_type),
               list_sort(list(distinct event_type) filter (where not is_known_event_type))
        from intermediate.int_events__on_cases""")
    assert orphans == 1
    kept = [f"{orphans} orphan event(s) (their ticket_id matches no ticket)"]
    if unknown:
        kept.append(f"{unknown} event(s) of unknown type ({', '.join(types)})")
    assert f"  kept, not counted in the metrics: {'; '.join(kept)}\n" in stdout


def test_the_summary_names_at_most_five_unknown_event_types():
    from orchestration.runner import RunSummary

    summary = RunSummary(run_id="r", success=True, warehouse="w", landing_dir="l", unknown_type_events=9,
                         unknown_event_types=["a", "b", "c", "d", "e", "f", "g"])
    assert "  kept, not counted in the metrics: 9 event(s) of unknown type (a, b, c, d, e and 2 more)" in (
        summary.render().splitlines())
    assert not any("kept, not counted" in line for line in RunSummary("r", True, "w", "l").render().splitlines())
