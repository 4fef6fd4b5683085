"""Judge agreement (auto_eval vs human QA): the mart against an independent computation with scikit-learn."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from sklearn.metrics import cohen_kappa_score

from tests.conftest import query

pytestmark = pytest.mark.slow


def _pairs(warehouse):
    """(ticket, dimension) -> (case_type, agent, auto verdict, human verdict, week of the later evaluation)."""
    latest: dict[tuple, tuple] = {}
    for ticket, dimension, evaluator, passed, at, event, case_type, agent in query(warehouse, """
            select ticket_id, dimension, evaluator, passed, evaluated_at, event_id, case_type, agent_id
            from marts.fct_evaluations
            where evaluator in ('auto_eval', 'human_qa') and passed is not null
              and dimension in ('accuracy', 'escalation', 'tone', 'policy_adherence')"""):
        key = (ticket, dimension, evaluator)
        if key not in latest or (at, event) > latest[key][1:3]:
            latest[key] = (passed, at, event, case_type, agent)
    pairs = {}
    for (ticket, dimension, evaluator), (passed, at, _e, case_type, agent) in latest.items():
        if evaluator != "auto_eval" or (ticket, dimension, "human_qa") not in latest:
            continue
        human = latest[(ticket, dimension, "human_qa")]
        later = max(at, human[1])
        pairs[(ticket, dimension)] = (case_type, agent, passed, human[0], later.date() - dt.timedelta(days=later.weekday()))
    return pairs


def test_agreement_and_kappa_match_an_independent_computation(demo_warehouse):
    pairs = _pairs(demo_warehouse)
    assert len(pairs) > 100
    window = int(query(demo_warehouse, "select evidence_window_weeks from raw.policy_defaults")[0][0])
    last_week = max(p[4] for p in pairs.values())
    start = last_week - dt.timedelta(days=7 * (window - 1))
    groups: dict[tuple, list[tuple[bool, bool]]] = defaultdict(list)
    for (_ticket, dimension), (case_type, _agent, auto, human, week) in pairs.items():
        if start <= week <= last_week:
            for dim in (dimension, "all"):
                groups[("all", "all", dim)].append((auto, human))
                groups[("case_type", case_type, dim)].append((auto, human))
    rows = query(demo_warehouse, """
        select grain, grain_value, dimension, pairs, both_passed, both_failed, agreement_rate, cohens_kappa
        from marts.rpt_judge_agreement
        where period = 'trailing_window' and period_start = ? and grain in ('all', 'case_type')""", [last_week])
    assert {(g, v, d) for g, v, d, *_ in rows} == set(groups)
    checked_kappa = 0
    for grain, value, dimension, n, both_passed, both_failed, agreement, kappa in rows:
        verdicts = groups[(grain, value, dimension)]
        auto = [a for a, _ in verdicts]
        human = [h for _, h in verdicts]
        assert n == len(verdicts)
        assert both_passed == sum(a and h for a, h in verdicts)
        assert both_failed == sum(not a and not h for a, h in verdicts)
        assert agreement == pytest.approx(sum(a == h for a, h in verdicts) / n)
        if len(set(auto)) == 1 and len(set(human)) == 1 and auto[0] == human[0]:
            assert kappa is None  # one verdict throughout: kappa is undefined
        else:
            assert kappa == pytest.approx(cohen_kappa_score(auto, human), abs=1e-12)
            checked_kappa += 1
    assert checked_kappa >= 5
