"""Broken evidence stops the run: the blocking Great Expectations check fails, nothing
downstream of it is materialised, and the failure names the table, the expectation
and failing rows.

Each test starts from a copy of the contract-sample warehouse (``conformance_build``)
or from a deliberately broken landing folder, and runs the REAL Dagster
definitions in-process (ephemeral instance) with a selection made of the checks
under test, the real assets reading the guarded tables, and a probe asset that
writes a marker file if it ever runs.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pytest

from tests.conftest import CONTRACT_SAMPLE
from tests.quality.conftest import (
    check_evaluation,
    copy_warehouse,
    downstream_probe,
    execute,
    failed_steps,
    materialized_keys,
)

pytestmark = pytest.mark.slow


def _results(warehouse, run_id: str):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(
            "select * from quality.validation_results where run_id = ? order by suite, batch, expectation", [run_id]
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def _evidence_readers():
    """The real assets outside the dbt evidence build that read one of its assets."""
    from dagster import AssetSelection

    from orchestration.assets.dbt import trustloop_dbt
    from orchestration.definitions import defs

    build = AssetSelection.assets(*trustloop_dbt.keys)
    return (build.downstream(depth=1) - build).resolve(defs.resolve_asset_graph())


def _evidence_checks():
    from orchestration.assets.quality import EVIDENCE_OP, quality_checks

    [evidence] = [c for c in quality_checks if c.node_def.name == EVIDENCE_OP]
    return evidence


# --------------------------------------------------------------------------- (a) a rate outside [0, 1]


def _tamper_rate(warehouse) -> tuple[str, str, str]:
    con = duckdb.connect(str(warehouse))
    try:
        metric, grain_value, dimension, period_start = con.execute(
            """select metric, grain_value, dimension, period_start from marts.fct_trust_metrics
               where metric = 'pact_pass_rate' and grain = 'case_type'
               order by grain_value, dimension, period_start limit 1"""
        ).fetchall()[0]
        con.execute(
            """update marts.fct_trust_metrics set value = 1.25
               where metric = ? and grain = 'case_type' and grain_value = ? and dimension = ? and period_start = ?""",
            [metric, grain_value, dimension, period_start],
        )
    finally:
        con.close()
    return grain_value, dimension, str(period_start)


def test_control_green_evidence_lets_downstream_run(conformance_build, quality_env):
    """Without tampering, the same selection materialises the probe (so the blocking below is real)."""
    from dagster import AssetCheckKey, AssetKey, AssetSelection

    copy_warehouse(conformance_build[0], quality_env.warehouse)
    marker = quality_env.root / "scorecard.marker"
    probe = downstream_probe("scorecard_probe", [["marts", "fct_trust_metrics"]], marker)
    check = AssetCheckKey(AssetKey(["marts", "fct_trust_metrics"]), "gx_fct_trust_metrics")

    result = execute(AssetSelection.checks(check) | AssetSelection.assets(probe), extra_assets=[probe])

    assert result.success
    assert check_evaluation(result, "marts/fct_trust_metrics", "gx_fct_trust_metrics").passed
    assert "reports/scorecard_probe" in materialized_keys(result)
    assert marker.read_text() == "materialised"


def test_rate_outside_unit_interval_blocks_everything_downstream(conformance_build, quality_env):
    from dagster import AssetSelection

    copy_warehouse(conformance_build[0], quality_env.warehouse)
    grain_value, dimension, period_start = _tamper_rate(quality_env.warehouse)
    marker = quality_env.root / "scorecard.marker"
    # a probe on the tampered mart, and one on a mart without a suite of its own (held by the gate)
    probe = downstream_probe("scorecard_probe", [["marts", "fct_trust_metrics"]], marker)
    gated_marker = quality_env.root / "cases.marker"
    gated_probe = downstream_probe("cases_probe", [["marts", "fct_cases"]], gated_marker)
    readers = _evidence_readers()
    evidence = _evidence_checks()

    result = execute(
        AssetSelection.checks(*evidence.check_keys)
        | AssetSelection.assets(probe, gated_probe)
        | AssetSelection.assets(*readers),
        extra_assets=[probe, gated_probe],
    )

    assert not result.success
    evaluation = check_evaluation(result, "marts/fct_trust_metrics", "gx_fct_trust_metrics")
    assert not evaluation.passed
    assert evaluation.severity.value == "ERROR" and evaluation.blocking
    message = evaluation.description
    assert "marts.fct_trust_metrics" in message
    assert "expect_column_values_to_be_between(column=value" in message
    assert "rates within [0, 1]" in message
    assert grain_value in message and "1.25" in message  # the failing row, by its key and value
    # the other evidence suites ran and passed: only the tampered one failed
    for other in ("gx_fct_evaluations", "gx_fct_escalations", "gx_fct_incidents", "gx_rpt_metrics_export"):
        assert check_evaluation(result, other.replace("gx_", "marts/"), other).passed
    gate = check_evaluation(result, "marts/fct_cases", "gx_evidence_gate")
    assert not gate.passed and "fct_trust_metrics" in gate.description
    # nothing downstream ran: neither the probes nor the real model, decision and report assets
    assert "gx_evidence_suites" in failed_steps(result)
    assert materialized_keys(result) == set()
    assert readers, "the evidence build has readers (model, decisions, reports)"
    assert not marker.exists() and not gated_marker.exists()
    # and the failure is kept, with its failing rows
    rows = _results(quality_env.warehouse, result.run_id)
    failed = [r for r in rows if not r["success"]]
    assert {(r["suite"], r["batch"], r["expectation"]) for r in failed} >= {
        ("fct_trust_metrics", "rates", "expect_column_values_to_be_between")
    }
    sample = json.loads(next(r["failing_sample"] for r in failed if '"value"' in (r["expectation_args"] or "")))
    assert any(s["grain_value"] == grain_value and s["dimension"] == dimension and s["value"] == 1.25 for s in sample)
    assert (quality_env.output / "data_docs" / "index.html").exists()


# --------------------------------------------------------------------------- (b) time order slipped past staging


def test_incident_detected_before_start_blocks_the_evidence_build(conformance_build, quality_env):
    from dagster import AssetKey, AssetSelection

    from orchestration.assets.dbt import trustloop_dbt

    copy_warehouse(conformance_build[0], quality_env.warehouse)
    con = duckdb.connect(str(quality_env.warehouse))
    try:
        # a later snapshot of a real incident, detected two hours before it started, written straight
        # into the raw table (as a loader bug would), bypassing the contract's time-order quarantine
        con.execute(
            """insert into raw.incidents
               select * replace (
                   'INC-PLANTED-1' as incident_id,
                   started_at + interval 3 hour as started_at,
                   started_at + interval 1 hour as detected_at,
                   updated_at as updated_at,
                   'planted' as _run_id)
               from raw.incidents order by incident_id limit 1"""
        )
    finally:
        con.close()
    marker = quality_env.root / "incidents.marker"
    probe = downstream_probe("incidents_probe", [["raw", "incidents"]], marker)

    result = execute(
        AssetSelection.assets(AssetKey(["raw", "incidents"]))  # re-ingests nothing: its files are known
        | AssetSelection.checks_for_assets(AssetKey(["raw", "incidents"]))
        | AssetSelection.assets(*trustloop_dbt.keys)
        | AssetSelection.assets(probe),
        extra_assets=[probe],
    )

    assert not result.success
    evaluation = check_evaluation(result, "raw/incidents", "gx_raw_incidents")
    assert not evaluation.passed
    message = evaluation.description
    assert message.startswith("raw.incidents:")
    assert "expect_column_pair_values_a_to_be_greater_than_b(column_A=detected_at, column_B=started_at" in message
    assert "time order: detected_at >= started_at" in message
    assert "INC-PLANTED-1" in message
    # the dbt evidence build (and everything after it) did not run
    built = materialized_keys(result)
    assert built == {"raw/incidents"}, built
    assert not marker.exists()
    assert "raw__incidents_gx_raw_incidents" in failed_steps(result)


# --------------------------------------------------------------------------- (c) a sudden drop in volume


def _drop_week(landing_src, landing_dst, week_start: dt.datetime, keep_every: int = 10) -> tuple[int, int]:
    """Copy a landing folder, keeping only one agent-log event in ``keep_every`` of the given ISO week."""
    shutil.copytree(landing_src, landing_dst)
    end = week_start + dt.timedelta(days=7)
    kept = dropped = 0
    for path in sorted((landing_dst / "agent_logs").glob("*.jsonl")):
        lines = path.read_text().splitlines()
        out = []
        for line in lines:
            try:
                ts = dt.datetime.fromisoformat(json.loads(line)["occurred_at"].strip())
            except (ValueError, KeyError, TypeError, AttributeError):
                out.append(line)
                continue
            ts = ts.astimezone(dt.UTC).replace(tzinfo=None) if ts.tzinfo else ts
            if week_start <= ts < end:
                if (kept + dropped) % keep_every:
                    dropped += 1
                    continue
                kept += 1
            out.append(line)
        path.write_text("\n".join(out) + "\n")
    return kept, dropped


def test_sudden_drop_in_volume_blocks_the_evidence_build(quality_env, monkeypatch):
    from dagster import AssetSelection

    from orchestration.assets.dbt import trustloop_dbt

    landing = quality_env.root / "landing"
    # the contract sample's activity ends on 2026-05-26: its latest complete week starts 2026-05-18
    kept, dropped = _drop_week(CONTRACT_SAMPLE / "landing", landing, dt.datetime(2026, 5, 18))
    assert dropped > 100 and kept > 0
    monkeypatch.setenv("TRUSTLOOP_LANDING_DIR", str(landing))
    marker = quality_env.root / "logs.marker"
    probe = downstream_probe("logs_probe", [["raw", "agent_logs"]], marker)

    result = execute(
        AssetSelection.groups("ingest")
        | AssetSelection.assets(*trustloop_dbt.keys)
        | AssetSelection.assets(probe),
        extra_assets=[probe],
    )

    assert not result.success
    evaluation = check_evaluation(result, "raw/agent_logs", "gx_raw_agent_logs")
    assert not evaluation.passed
    message = evaluation.description
    assert message.startswith("raw.agent_logs:")
    assert "[weekly_volume] expect_column_values_to_be_between(column=ratio_to_trailing_median" in message
    assert "2026-05-18" in message
    # everything else about the delivery is fine: tickets and incidents pass, files reconcile
    assert check_evaluation(result, "raw/tickets", "gx_raw_tickets").passed
    assert check_evaluation(result, "raw/incidents", "gx_raw_incidents").passed
    built = materialized_keys(result)
    assert "raw/agent_logs" in built
    assert not any(k.startswith(("staging/", "intermediate/", "marts/")) for k in built), built
    assert not marker.exists()
    rows = _results(quality_env.warehouse, result.run_id)
    volume = [r for r in rows if r["suite"] == "raw_agent_logs" and r["batch"] == "weekly_volume"]
    assert len(volume) == 1 and not volume[0]["success"]
    observed = json.loads(volume[0]["failing_sample"])[0]
    # what is left of the week (re-delivered events stored once) against the usual week
    assert 0 < observed["latest_rows"] <= kept
    assert observed["ratio_to_trailing_median"] < 0.5 and observed["trailing_median"] > 100


# --------------------------------------------------------------------------- (d) reconciliation


def test_unreconciled_file_fails_loudly_and_is_stored_per_file(conformance_build, quality_env):
    from dagster import AssetKey, AssetSelection

    from orchestration.assets.dbt import trustloop_dbt

    copy_warehouse(conformance_build[0], quality_env.warehouse)
    con = duckdb.connect(str(quality_env.warehouse))
    try:
        con.execute("update raw.file_ledger set rows_read = rows_read + 3 where file = 'tickets/tickets_a.csv'")
    finally:
        con.close()

    result = execute(
        AssetSelection.assets(AssetKey(["raw", "tickets"]), AssetKey(["raw", "file_ledger"]))
        | AssetSelection.checks_for_assets(AssetKey(["raw", "tickets"]))
        | AssetSelection.assets(*trustloop_dbt.keys)
    )

    assert not result.success
    evaluation = check_evaluation(result, "raw/tickets", "gx_raw_tickets")
    assert not evaluation.passed
    message = evaluation.description
    assert "raw.tickets" in message and "tickets/tickets_a.csv" in message
    assert "per file: rows read = rows loaded + rows quarantined" in message
    assert failed_steps(result) == ["raw__tickets_gx_raw_tickets"]
    # held back: the file ledger asset (which would fail on the same problem) and the whole evidence build
    built = materialized_keys(result)
    assert built == {"raw/tickets"}, built
    rows = _results(quality_env.warehouse, result.run_id)
    per_file = {r["subject"]: r for r in rows if r["suite"] == "raw_tickets" and r["subject"]}
    assert set(per_file) == {"tickets/tickets_a.csv", "tickets/tickets_b.csv"}
    assert not per_file["tickets/tickets_a.csv"]["success"]
    assert "read 260 = loaded 257" in per_file["tickets/tickets_a.csv"]["observed_value"]
    assert per_file["tickets/tickets_b.csv"]["success"]
