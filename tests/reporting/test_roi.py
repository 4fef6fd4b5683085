"""ROI marts: dbt unit tests of the arithmetic (hand-computed cases), and the demo build recomputed by hand."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.conftest import query
from trustloop.finance.costs import load_costs
from trustloop.settings import PROJECT_DIR

POLICY = PROJECT_DIR / "policy" / "policy.yml"
ROI_UNIT_TESTS = {
    "rpt_roi_cases_costs_each_handling_mode",
    "rpt_roi_monthly_rolls_up_and_derives_roi",
    "rpt_roi_total_recomputes_ratios_from_sums",
}


def test_roi_unit_tests_hand_computed(dbt_unit_tests):
    """The YAML unit tests of rpt_roi_cases / rpt_roi_monthly / rpt_roi_total (hand-computed expectations)."""
    dbt_unit_tests.assert_ran()
    # exactly these three unit tests are the ROI marts', and each passed
    ours = {name for name, (model, _) in dbt_unit_tests.defined.items() if model.startswith("rpt_roi_")}
    assert ours == ROI_UNIT_TESTS, dbt_unit_tests.defined
    assert dbt_unit_tests.passed_names("rpt_roi_") == ROI_UNIT_TESTS, dbt_unit_tests.unit.stdout[-3000:]


def _money(x) -> Decimal:
    return Decimal(str(x))


@pytest.mark.slow
def test_case_costs_recomputed_by_hand(demo_warehouse):
    """Every demo case priced again in Python from fct_cases and the policy file equals rpt_roi_cases."""
    costs = load_costs(POLICY)
    cases = query(demo_warehouse, """
        select ticket_id, case_type, handling_mode, is_ai_handled, suggestion_count, rejected_suggestion_count,
               disputed_at is not null, coalesce(reopened_count, 0), is_autonomously_resolved, resolution_at, disputed_at
        from marts.fct_cases""")
    windows = dict(query(demo_warehouse, "select case_type, durable_window_days from intermediate.int_case_types__policy"))
    horizon = query(demo_warehouse, "select max(updated_at) from marts.fct_cases")[0][0]
    mart = {r[0]: r[1:] for r in query(demo_warehouse, """
        select ticket_id, ai_cost, review_cost, human_cost, dispute_cost, total_cost, baseline_cost, durability_status
        from marts.rpt_roi_cases""")}
    assert len(mart) == len(cases) > 1000
    seen_status = set()
    for (ticket, case_type, mode, ai_handled, suggestions, rejected, disputed, reopened, autonomous,
         resolved_at, disputed_at) in cases:
        human_rate = _money(costs.value("human_cost_per_case", case_type))
        ai = _money(costs.value("ai_cost_per_case", case_type)) if ai_handled else Decimal(0)
        review = _money(costs.value("review_cost_per_suggestion", case_type)) * suggestions if ai_handled else Decimal(0)
        human_handled = mode in ("human_only", "escalated", "ai_assisted") or (
            mode == "suggested" and (suggestions == 0 or rejected > 0))
        human = human_rate if human_handled else Decimal(0)
        dispute = _money(costs.value("dispute_cost", case_type)) if disputed else Decimal(0)
        baseline = human_rate + (dispute if mode == "human_only" else Decimal(0))
        status = None
        if autonomous:
            until = resolved_at + dt.timedelta(days=windows[case_type])
            if reopened > 0:
                status = "reopened"
            elif disputed_at is not None and disputed_at <= until:
                status = "disputed"
            else:
                status = "durable" if until <= horizon else "pending"
        seen_status.add(status)
        expected = (ai, review, human, dispute, ai + review + human + dispute, baseline, status)
        assert mart[ticket] == expected, (ticket, mode, mart[ticket], expected)
    assert seen_status == {None, "durable", "pending", "reopened", "disputed"}


@pytest.mark.slow
def test_roi_roll_ups_reconcile(demo_warehouse):
    monthly = query(demo_warehouse, """
        select case_type, month_start, cases_total, total_cost, baseline_cost, savings, ai_operating_cost, roi,
               durable_resolutions, autonomous_handling_cost, cost_per_durable_resolution, incident_remediation_cost,
               ai_cost + review_cost + human_cost + dispute_cost + incident_remediation_cost
        from marts.rpt_roi_monthly""")
    per_case = {(r[0], r[1]): r[2:] for r in query(demo_warehouse, """
        select case_type, case_month, count(*), sum(total_cost), sum(baseline_cost),
               sum(case when is_durable_resolution then 1 else 0 end)
        from marts.rpt_roi_cases group by 1, 2""")}
    incidents = dict(query(demo_warehouse, "select sum(coalesce(remediation_cost, 0)), 1 from marts.fct_incidents "
                                           "where agent_id is not null"))
    totals = defaultdict(Decimal)
    for (case_type, month, n, total, baseline, savings, operating, roi, durable, auto_cost, per_durable,
         remediation, parts) in monthly:
        n_cases, case_total, case_baseline, case_durable = per_case.get((case_type, month), (0, 0, 0, 0))
        assert n == n_cases and baseline == case_baseline and durable == case_durable
        assert total == (case_total or 0) + remediation == parts
        assert savings == baseline - total
        assert roi == (pytest.approx(float(savings) / float(operating)) if operating else None)
        assert per_durable == (pytest.approx(float(auto_cost) / durable) if durable else None)
        totals["cases"] += n
        totals["total"] += total
        totals["baseline"] += baseline
        totals["remediation"] += remediation
        totals["operating"] += operating
    assert totals["remediation"] == list(incidents)[0]  # every AI incident's cost is counted once
    row = query(demo_warehouse, """
        select cases_total, total_cost, baseline_cost, savings, roi from marts.rpt_roi_total where is_total""")[0]
    assert row[:4] == (totals["cases"], totals["total"], totals["baseline"], totals["baseline"] - totals["total"])
    assert row[4] == pytest.approx(float(row[3]) / float(totals["operating"]))
    assert row[0] == query(demo_warehouse, "select count(*) from marts.fct_cases")[0][0]
    # the assumptions the marts used are the policy file's, each with its unit
    assumptions = query(demo_warehouse, "select name, case_type, value, unit from marts.rpt_roi_assumptions "
                                        "where policy_section = 'costs'")
    costs = load_costs(POLICY)
    assert {(n, c, float(v), u) for n, c, v, u in assumptions} == {
        (a.name, a.case_type, a.value, a.unit) for a in costs.assumptions}
    assert len(assumptions) == len(costs.assumptions)
