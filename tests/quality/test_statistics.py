"""The statistical guards on small synthetic warehouses: weekly volume against the
trailing weeks, null-rate ceilings, drift of pass rates. Real DuckDB, real GX."""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pytest

from expectations.batches import null_rates_batch, pass_rate_drift_batch, weekly_volume_batch
from expectations.config import THRESHOLDS, NullRateRule
from expectations.core import Suite

MONDAY = dt.datetime(2026, 3, 2)  # a Monday


def _warehouse(path, *, ticket_weeks: list[int], event_weeks: list[int], last_event_at: dt.datetime | None = None):
    """raw.tickets / raw.agent_logs with the given rows per week (week 0 starts MONDAY), spread over the week."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema raw")
        con.execute("create table raw.tickets (ticket_id varchar, created_at timestamp)")
        con.execute("create table raw.agent_logs (event_id varchar, occurred_at timestamp)")
        for table, weeks in (("tickets", ticket_weeks), ("agent_logs", event_weeks)):
            for w, n in enumerate(weeks):
                con.execute(
                    f"""insert into raw.{table}
                        select '{table}-{w}-' || i, ? + to_seconds(cast(i * 7 * 86400 / {max(n, 1)} as bigint))
                        from range({n}) t(i)""",
                    [MONDAY + dt.timedelta(weeks=w)],
                )
        if last_event_at is not None:
            con.execute("insert into raw.agent_logs values ('late', ?)", [last_event_at])
    finally:
        con.close()
    return path


def _run(path, batch, table="raw.agent_logs", thresholds=THRESHOLDS, blocking=True):
    from expectations.runner import run_suite

    suite = Suite(name="synthetic", table=table, description="synthetic", batches=(batch,), blocking=blocking)
    return run_suite(suite, warehouse=path, thresholds=thresholds, store=False, docs=False)


@pytest.fixture
def output(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTLOOP_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    return tmp_path


def _frame(outcome):
    return outcome.outcomes[0]


def test_steady_volume_passes(output):
    path = _warehouse(output / "w.duckdb", ticket_weeks=[50] * 10, event_weeks=[200] * 10)
    outcome = _run(path, weekly_volume_batch("raw.agent_logs", "occurred_at"))
    assert outcome.success, outcome.message
    assert _frame(outcome).element_count == 1  # judged: one week, with enough history


def test_drop_of_the_latest_complete_week_fails(output):
    path = _warehouse(output / "w.duckdb", ticket_weeks=[50] * 10, event_weeks=[200] * 9 + [60])
    outcome = _run(path, weekly_volume_batch("raw.agent_logs", "occurred_at"))
    assert not outcome.success
    failure = outcome.failures[0]
    assert failure.args["column"] == "ratio_to_trailing_median" and failure.args["min_value"] == 0.5
    [row] = failure.failing_sample
    assert row["latest_rows"] == 60 and row["trailing_median"] == 200.0
    assert row["latest_week"].startswith("2026-05-04")  # week 9
    assert "raw.agent_logs" in outcome.message and "ratio_to_trailing_median" in outcome.message


def test_a_source_missing_its_whole_last_week_fails(output):
    """The as-of comes from all activity: tickets go on, agent logs stop -> a week of zero events."""
    path = _warehouse(output / "w.duckdb", ticket_weeks=[50] * 10, event_weeks=[200] * 9)
    outcome = _run(path, weekly_volume_batch("raw.agent_logs", "occurred_at"))
    assert not outcome.success
    assert outcome.failures[0].failing_sample[0]["latest_rows"] == 0


def test_the_current_partial_week_is_not_judged(output):
    """A few events into a new week: that week is incomplete, the previous (full) week is judged."""
    path = _warehouse(
        output / "w.duckdb", ticket_weeks=[50] * 10, event_weeks=[200] * 10,
        last_event_at=MONDAY + dt.timedelta(weeks=10, hours=5),
    )
    outcome = _run(path, weekly_volume_batch("raw.agent_logs", "occurred_at"))
    assert outcome.success, outcome.message


def test_too_little_history_is_not_judged(output):
    path = _warehouse(output / "w.duckdb", ticket_weeks=[50] * 3, event_weeks=[200, 200, 10])
    outcome = _run(path, weekly_volume_batch("raw.agent_logs", "occurred_at"))
    assert outcome.success
    assert outcome.outcomes[0].observed["missing_count"] == 1  # the ratio is empty: not judged


def test_thresholds_are_configurable(output):
    path = _warehouse(output / "w.duckdb", ticket_weeks=[50] * 10, event_weeks=[200] * 9 + [150])
    assert _run(path, weekly_volume_batch("raw.agent_logs", "occurred_at")).success
    strict = dataclasses.replace(THRESHOLDS, volume_min_ratio=0.9)
    assert not _run(path, weekly_volume_batch("raw.agent_logs", "occurred_at"), thresholds=strict).success


def test_null_rate_ceiling(output):
    path = output / "w.duckdb"
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_evaluations as select i as event_id, "
            "case when i % 10 = 0 then null else i % 2 = 0 end as passed, 'tone' as dimension, "
            "'agent_a' as agent_id from range(1000) t(i)"
        )
    finally:
        con.close()
    outcome = _run(path, null_rates_batch("marts.fct_evaluations"), table="marts.fct_evaluations")
    assert not outcome.success
    [failure] = outcome.failures
    [row] = failure.failing_sample
    assert row["rule"] == "passed" and row["nulls"] == 100 and row["null_rate"] == pytest.approx(0.1)
    loose = dataclasses.replace(
        THRESHOLDS, null_rates={"marts.fct_evaluations": (NullRateRule("passed", "passed", 0.15),)}
    )
    assert _run(path, null_rates_batch("marts.fct_evaluations"), table="marts.fct_evaluations",
                thresholds=loose).success


def _evaluations(path, latest_pass: float, latest_n: int, weeks: int = 9, n: int = 200, base: float = 0.9):
    con = duckdb.connect(str(path))
    try:
        _warehouse_tables(con, weeks)
        for w in range(weeks):
            count, rate = (latest_n, latest_pass) if w == weeks - 1 else (n, base)
            con.execute(
                f"""insert into marts.fct_evaluations
                    select 'e{w}-' || i, 'accuracy', i < {round(count * rate)}, ? + to_hours(i % 150)
                    from range({count}) t(i)""",
                [MONDAY + dt.timedelta(weeks=w)],
            )
    finally:
        con.close()
    return path


def _warehouse_tables(con, weeks: int) -> None:
    con.execute("create schema raw")
    con.execute("create schema marts")
    con.execute("create table raw.tickets (ticket_id varchar, created_at timestamp)")
    con.execute("create table raw.agent_logs (event_id varchar, occurred_at timestamp)")
    # activity runs to the end of the last week: that week is complete
    con.execute("insert into raw.tickets values ('t', ?)", [MONDAY + dt.timedelta(weeks=weeks) - dt.timedelta(hours=1)])
    con.execute("create table marts.fct_evaluations (event_id varchar, dimension varchar, passed boolean, "
                "evaluated_at timestamp)")


def test_pass_rate_drift_is_flagged_as_a_warning(output):
    path = _evaluations(output / "w.duckdb", latest_pass=0.5, latest_n=100)
    outcome = _run(path, pass_rate_drift_batch(), table="marts.fct_evaluations", blocking=False)
    assert not outcome.success
    [row] = outcome.failures[0].failing_sample
    assert row["dimension"] == "accuracy" and row["latest_pass_rate"] == pytest.approx(0.5)
    assert row["z"] < -4


def test_small_or_modest_moves_are_not_drift(output):
    modest = _evaluations(output / "a.duckdb", latest_pass=0.8, latest_n=100)
    assert _run(modest, pass_rate_drift_batch(), table="marts.fct_evaluations").success
    few = _evaluations(output / "b.duckdb", latest_pass=0.2, latest_n=10)  # big move, too few evaluations
    assert _run(few, pass_rate_drift_batch(), table="marts.fct_evaluations").success
