"""Property-based tests of the metric definitions against an independent Python computation.

``reference_metrics.py`` computes the export from parsed records in plain
Python, written from the metric definitions. It is first checked against the
contract fixture's expected export (computed outside this project). Then
Hypothesis draws random event histories (histories.py): cases with one to
three snapshots, AI and human assignments, escalation triggers with and
without ``required``, handoffs exactly 0/180/300 s after the trigger and a
second or a microsecond later, resolutions at the trigger's or handoff's
instant, takeovers, evaluations with unknown dimensions or no verdict (quarantined),
orphans, unknown event types, quarantined snapshots, incidents with open and
earlier snapshots, at the turn of weeks and months. Each history is written as
a landing folder in many spellings, loaded by the real pipeline (one run per
example, under a time zone Hypothesis also draws), and its export compared
with the reference row for row: counts exactly, values to 1e-9.

A pipeline run costs about a minute, so the slow test draws one example per
session (hundreds of cases; a new draw every session: not derandomized) and
does not shrink; a failure prints the history's seed, and every row that differs.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import CONTRACT_SAMPLE, build_warehouse, query
from tests.reliability.helpers import POLICY, expected_export, export_rows, ledger_problems
from tests.reliability.histories import (
    History,
    RandomPick,
    build_history,
    large_histories,
    rare_evaluation_ids,
    small_histories,
    write_landing,
)
from tests.reliability.reference_landing import read_landing
from tests.reliability.reference_metrics import (
    compare,
    metrics_export,
    policy_max_handoff_delay,
    rows_from_table,
)

DELAY = policy_max_handoff_delay(POLICY)


def test_the_reference_reproduces_the_fixture_export():
    rows = metrics_export(*read_landing(CONTRACT_SAMPLE / "landing"), DELAY)
    assert len(rows) == len(expected_export())
    assert not compare(rows, expected_export())


def test_every_large_history_holds_evaluations_the_contract_rejects():
    """The planted ones (an unknown dimension, no verdict) plus, now and then, drawn ones on top: the pipeline
    test checks that each is quarantined, not only left out of the pass rate."""
    for seed in range(40):
        history = build_history(RandomPick(random.Random(seed)), 250, 60, seed, filler=True)
        assert {"PR-0", "PR-1"} <= rare_evaluation_ids(history), seed
    drawn = [rare_evaluation_ids(build_history(RandomPick(random.Random(seed)), 250, 0, seed)) for seed in range(40)]
    assert any(drawn)


def test_the_reference_reader_leaves_out_the_evaluations_the_contract_rejects(tmp_path):
    history = build_history(RandomPick(random.Random(7)), 40, 0, 7, filler=True)
    write_landing(history, tmp_path)
    _, events, _ = read_landing(tmp_path)
    read = {e.event_id for e in events}
    assert rare_evaluation_ids(history) and not read & rare_evaluation_ids(history)
    assert read == {e.event_id for e in history.events} - rare_evaluation_ids(history)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(small_histories())
def test_a_written_history_reads_back_as_the_same_records(tmp_path_factory, history: History):
    """The landing writer and the independent reader agree, whatever the spelling (fast, many examples)."""
    landing = tmp_path_factory.mktemp("history")
    write_landing(history, landing)
    want = metrics_export(history.tickets, history.events, history.incidents, DELAY)
    got = metrics_export(*read_landing(landing), DELAY)
    assert not compare(got, want)


def boundary_counts(history: History) -> Counter:
    """How many of the interesting situations a history holds (printed with the test's output)."""
    out = Counter()
    by_ticket = {}
    for e in history.events:
        by_ticket.setdefault(e.ticket_id, []).append(e)
    for events in by_ticket.values():
        triggers = sorted(e.occurred_at for e in events if e.event_type == "escalation_trigger"
                          and e.attributes.get("required") is True)
        if not triggers:
            continue
        handoffs = sorted(e.occurred_at for e in events if e.event_type == "handoff_to_human"
                          and e.actor_type == "ai_agent" and e.occurred_at >= triggers[0])
        if handoffs:
            delay = (handoffs[0] - triggers[0]).total_seconds()
            if delay in (0, 1, 179, 180, 181, 299, 300, 301) or 299.99 < delay < 300.01:
                out[f"first handoff {delay:g} s after the trigger"] += 1
    out["open incidents"] = sum(i.resolved_at is None for i in history.incidents)
    out["quarantined snapshots"] = len(history.bad_tickets) + len(history.bad_incidents)
    return +out


@pytest.mark.slow
@settings(max_examples=1, deadline=None, phases=[Phase.generate], derandomize=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=large_histories(n_cases=250, n_incidents=60),
       tz=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata", "Europe/Berlin"]))
def test_the_pipeline_computes_the_reference_metrics(tmp_path_factory, history: History, tz: str):
    workdir = tmp_path_factory.mktemp("property")
    write_landing(history, workdir / "landing")
    want = metrics_export(history.tickets, history.events, history.incidents, DELAY)
    warehouse, _, _ = build_warehouse(workdir, workdir / "landing", TZ=tz)
    assert ledger_problems(warehouse) == []
    # the evaluations the contract rejects, and only they, are quarantined (each delivery of them)
    quarantined = query(warehouse, "select record_key, reason from raw.quarantine where source = 'agent_logs'")
    assert {key for key, _ in quarantined} == rare_evaluation_ids(history)
    assert all(reason.startswith(("attributes.dimension: not one of", "attributes.passed: missing"))
               for _, reason in quarantined)
    got = rows_from_table(export_rows(warehouse))
    problems = compare(got, want)
    print(f"\n{len(want)} export rows under TZ={tz}; {dict(boundary_counts(history))}")
    assert not problems, f"{len(problems)} rows differ (TZ={tz}, spelling seed {history.spelling_seed}):\n" + \
        "\n".join(problems[:30])
