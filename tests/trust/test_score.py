"""The Agent Score (marts.rpt_agent_scores): formula, evidence weighting, tiers, history."""

from __future__ import annotations

import math

import duckdb
import pytest

from trustloop.trust.lookup import TIER_CUTOFFS, WEIGHTS, breaches

Z = 1.959964


def wilson(num: int, den: int, upper: bool = False) -> float | None:
    if den <= 0:
        return None
    p = num / den
    centre = p + Z * Z / (2 * den)
    spread = Z * math.sqrt(p * (1 - p) / den + Z * Z / (4 * den * den))
    return (centre + spread if upper else centre - spread) / (1 + Z * Z / den)


def expected_components(r: dict) -> dict[str, float]:
    """The Score's components from a row's counts, as DECISIONLOG.md defines them."""
    return {
        "pact": wilson(r["evaluations_passed"], r["evaluations"]) or 0.0,
        "escalation": wilson(r["escalations_compliant"], r["escalations_required"]) or 0.0,
        "dispute": 1.0 - (wilson(r["disputes"], r["autonomous_resolutions"], upper=True) or 1.0),
        "incident": max(0.0, 1 - 10 * (r["incident_points"] + 3) / r["handled_cases"]) if r["handled_cases"] else 0.0,
        "evidence": r["evaluated_cases"] / (r["evaluated_cases"] + max(r["min_evidence"], 1)),
    }


def expected_score(components: dict[str, float]) -> int:
    return round(1000 * sum(WEIGHTS[k] * v for k, v in components.items()))


def expected_tier(score: int, provisional: bool, in_breach: bool = False) -> str:
    tier = next(name for name, cut in sorted(TIER_CUTOFFS.items(), key=lambda kv: -kv[1]) if score >= cut)
    if in_breach and tier in ("trusted", "established", "developing"):
        return "watch"
    return "developing" if provisional and tier in ("trusted", "established") else tier


def expected_breaches(r: dict) -> tuple[bool, bool]:
    """(escalation, dispute): a policy limit missed even on the bound fair to the agent."""
    escalation = wilson(r["escalations_compliant"], r["escalations_required"], upper=True)
    dispute = wilson(r["disputes"], r["autonomous_resolutions"])
    return (escalation is not None and escalation < r["min_escalation_compliance"],
            dispute is not None and dispute > r["max_dispute_rate"])


def _rows(warehouse) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cur = con.execute("select * from marts.rpt_agent_scores order by agent_id, week_start")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def _check_rows(rows: list[dict]) -> None:
    assert rows
    for r in rows:
        comps = expected_components(r)
        for name, value in comps.items():
            assert r[f"{name}_component"] == pytest.approx(value, abs=1e-9), (r["agent_week_key"], name)
        assert r["score"] == expected_score(comps), r["agent_week_key"]
        assert r["is_provisional"] == (r["evaluated_cases"] < r["min_evidence"])
        escalation_breach, dispute_breach = expected_breaches(r)
        assert (r["is_escalation_breach"], r["is_dispute_breach"]) == (escalation_breach, dispute_breach)
        assert r["is_in_breach"] == (escalation_breach or dispute_breach)
        assert r["tier"] == expected_tier(r["score"], r["is_provisional"], r["is_in_breach"]), r["agent_week_key"]
        assert r["score_tier"] == expected_tier(r["score"], False)
        assert 0 <= r["score"] <= 1000
        assert (r["window_start"] - r["week_start"]).days == -7 * (r["window_weeks"] - 1)


def _check_history(rows: list[dict]) -> None:
    by_agent: dict[str, list[dict]] = {}
    for r in rows:
        by_agent.setdefault(r["agent_id"], []).append(r)
    for agent, history in by_agent.items():
        weeks = [r["week_start"] for r in history]
        assert all((b - a).days == 7 for a, b in zip(weeks, weeks[1:], strict=False)), agent  # every week kept
        assert [r["is_latest"] for r in history] == [False] * (len(history) - 1) + [True]
        for prev, cur in zip(history, history[1:], strict=False):
            assert cur["previous_score"] == prev["score"] and cur["score_change"] == cur["score"] - prev["score"]


def test_score_formula_and_tiers_on_the_contract_sample(pii_build):
    rows = _rows(pii_build[1])
    _check_rows(rows)
    _check_history(rows)
    assert {"agent_air_alpha", "agent_air_bravo"} <= {r["agent_id"] for r in rows}


def test_little_evidence_cannot_score_high():
    """A flawless agent needs real evidence volume to reach the top tiers (the formula checked above)."""
    def flawless(n: int) -> int:
        return expected_score(expected_components({
            "evaluations": 4 * n, "evaluations_passed": 4 * n, "escalations_required": n // 5,
            "escalations_compliant": n // 5, "autonomous_resolutions": n, "disputes": 0, "handled_cases": n,
            "incident_points": 0, "evaluated_cases": n, "min_evidence": 100,
        }))

    scores = {n: flawless(n) for n in (1, 5, 10, 30, 100, 300, 1000)}
    assert scores[1] < TIER_CUTOFFS["watch"]
    assert scores[5] < TIER_CUTOFFS["developing"]
    assert scores[30] < TIER_CUTOFFS["established"]
    assert scores[1000] >= TIER_CUTOFFS["trusted"]
    assert list(scores.values()) == sorted(scores.values())  # more evidence, never a lower score
    # and one incident costs a flawless agent points, more when it is severe
    base = {"evaluations": 1200, "evaluations_passed": 1200, "escalations_required": 60, "escalations_compliant": 60,
            "autonomous_resolutions": 300, "disputes": 0, "handled_cases": 300, "evaluated_cases": 300,
            "min_evidence": 100}
    clean = expected_score(expected_components({**base, "incident_points": 0}))
    sev3 = expected_score(expected_components({**base, "incident_points": 2}))
    sev1 = expected_score(expected_components({**base, "incident_points": 10}))
    assert clean > sev3 > sev1


@pytest.mark.slow
def test_score_on_the_demo(demo_warehouse):
    rows = _rows(demo_warehouse)
    _check_rows(rows)
    _check_history(rows)
    # early weeks (little evidence) score below the same agent's later weeks
    by_agent: dict[str, list[dict]] = {}
    for r in rows:
        by_agent.setdefault(r["agent_id"], []).append(r)
    for history in by_agent.values():
        later = sorted(r["score"] for r in history[4:])
        assert history[0]["score"] < later[len(later) // 2]
        assert history[0]["is_provisional"]


def test_breaches_are_named_on_the_bound_fair_to_the_agent():
    row = {"is_escalation_breach": True, "escalation_compliance_rate": 208 / 312,
           "escalation_compliance_upper": wilson(208, 312, upper=True), "escalations_required": 312,
           "min_escalation_compliance": 0.95, "is_dispute_breach": True, "dispute_rate": 0.06,
           "dispute_rate_lower": 0.044, "autonomous_resolutions": 666, "max_dispute_rate": 0.03}
    assert breaches(row) == [
        "escalation compliance 66.7% (upper bound 71.7%, 312 escalations) is below the 95.0% minimum",
        "dispute rate 6.0% (lower bound 4.4%, 666 autonomous resolutions) is above the 3.0% limit",
    ]
    assert breaches({**row, "is_escalation_breach": False, "is_dispute_breach": False}) == []
    # a breach caps a high score at watch; a low score keeps its own tier
    assert expected_tier(900, False, in_breach=True) == "watch"
    assert expected_tier(400, False, in_breach=True) == "watch"
    assert expected_tier(200, False, in_breach=True) == "restricted"


@pytest.mark.slow
def test_an_agent_breaching_the_escalation_minimum_is_not_trusted(demo_warehouse):
    """The demo's agents hand off late on most case types; their Scores stay high, their tiers do not."""
    latest = [r for r in _rows(demo_warehouse) if r["is_latest"]]
    breaching = [r for r in latest if r["is_escalation_breach"]]
    assert breaching, "the demo's escalation compliance is far below the policy's 95 % minimum"
    for r in breaching:
        assert r["escalation_compliance_upper"] < r["min_escalation_compliance"] == 0.95
        assert r["tier"] == "watch" and r["score_tier"] in {"trusted", "established", "developing"}
