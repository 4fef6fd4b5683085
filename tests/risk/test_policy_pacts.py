"""The policy's pacts and per-case-type limits: validated, defaulted, and published for dbt."""

from __future__ import annotations

import duckdb
import pytest

from trustloop.policy import DIMENSIONS, PolicyError, load_policy, parse_policy, write_policy_tables
from trustloop.settings import PROJECT_DIR

POLICY = """
version: '7'
defaults:
  pact_threshold: 0.85
  evidence_window_weeks: 6
case_types:
  billing_refund:
    tier: resolve
    risk_appetite: 0.02
    pacts:
      - pact_id: p-acc
        claim: Refunds are paid once.
        dimension: Accuracy
        threshold: 0.97
        window_weeks: 4
        consequence: Demote one tier.
      - pact_id: p-tone
        claim: Calm answers.
        dimension: tone
  fraud_report:
    tier: triage
    pact_threshold: 0.8
    evidence_window_weeks: 10
    pacts:
      - {pact_id: p-esc, claim: Fraud goes to a person fast., dimension: escalation}
costs:
  currency: USD
"""


def test_pacts_are_validated_and_defaulted():
    policy = parse_policy(POLICY, "policy.yml")
    acc, tone = policy.pacts("billing_refund")
    assert acc == {
        "pact_id": "p-acc", "claim": "Refunds are paid once.", "dimension": "accuracy", "threshold": 0.97,
        "window_weeks": 4, "consequence": "Demote one tier.",
    }
    # threshold and window from the defaults, consequence from the built-in text
    assert (tone["threshold"], tone["window_weeks"]) == (0.85, 6)
    assert "demotion" in tone["consequence"]
    # from the case type's own settings
    (esc,) = policy.pacts("fraud_report")
    assert (esc["threshold"], esc["window_weeks"]) == (0.8, 10)
    assert policy.pact_threshold("billing_refund", "accuracy") == 0.97
    assert policy.pact_threshold("billing_refund", "policy_adherence") == 0.85
    assert policy.pact_threshold("fraud_report", "tone") == 0.8
    assert policy.setting("billing_refund", "risk_appetite") == 0.02
    assert policy.tier("fraud_report") == "triage" and policy.tier("unlisted") is None
    assert policy.pacts("unlisted") == []
    assert policy.extra["costs"] == {"currency": "USD"}  # finance's section is kept, not judged here


def test_policy_tables_carry_the_pacts(tmp_path):
    policy = parse_policy(POLICY, "policy.yml")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        write_policy_tables(con, policy)
        pacts = con.execute(
            "select case_type, pact_id, dimension, threshold, window_weeks, policy_version from raw.policy_pacts "
            "order by case_type, pact_id"
        ).fetchall()
        thresholds = con.execute(
            "select case_type, pact_threshold_accuracy, pact_threshold_escalation, pact_threshold_tone, "
            "pact_threshold_policy_adherence from raw.policy_case_types order by case_type"
        ).fetchall()
        write_policy_tables(con, parse_policy("version: '8'\n"))
        empty = con.execute("select count(*) from raw.policy_pacts").fetchone()[0]
    finally:
        con.close()
    assert pacts == [
        ("billing_refund", "p-acc", "accuracy", 0.97, 4, "7"),
        ("billing_refund", "p-tone", "tone", 0.85, 6, "7"),
        ("fraud_report", "p-esc", "escalation", 0.8, 10, "7"),
    ]
    # a pact's threshold is the dimension's threshold; other dimensions fall back to the case type or (NULL) defaults
    assert thresholds == [("billing_refund", 0.97, None, 0.85, None), ("fraud_report", 0.8, 0.8, 0.8, 0.8)]
    assert empty == 0  # the table exists (dbt reads it) even when no case type lists a pact


def test_shipped_policy_has_pacts_tiers_and_the_issue_defaults():
    policy = load_policy(PROJECT_DIR / "policy" / "policy.yml")
    d = policy.defaults
    assert (d["risk_appetite"], d["max_dispute_rate"], d["min_escalation_compliance"], d["pact_threshold"]) == (
        0.05, 0.03, 0.95, 0.90
    )
    assert (d["min_evidence"], d["evidence_window_weeks"], d["freeze_days"]) == (100, 8, 14)
    assert all(policy.pacts(name) for name in policy.case_types)
    for name in policy.case_types:
        for pact in policy.pacts(name):
            assert pact["dimension"] in DIMENSIONS and pact["claim"] and pact["consequence"]


def _policy_with_pacts(pacts: str) -> str:
    return f"version: '1'\ncase_types:\n  a:\n    tier: suggest\n    pacts:\n{pacts}"


@pytest.mark.parametrize(
    ("pacts", "message"),
    [
        ("      - {claim: c, dimension: tone}\n", "case_types.a.pacts[0].pact_id: required"),
        ("      - {pact_id: p1, dimension: tone}\n", "case_types.a.pacts[0].claim: required"),
        ("      - {pact_id: p1, claim: c}\n", "case_types.a.pacts[0].dimension: required"),
        ("      - {pact_id: p1, claim: c, dimension: empathy}\n", "'empathy' is not one of accuracy"),
        ("      - {pact_id: p1, claim: c, dimension: tone, threshold: 1.2}\n", "pacts[0].threshold: must be <= 1"),
        ("      - {pact_id: p1, claim: c, dimension: tone, window_weeks: 0}\n", "pacts[0].window_weeks: must be >= 1"),
        ("      - {pact_id: p1, claim: c, dimension: tone, window_weeks: 2.5}\n", "expected a whole number"),
        ("      - {pact_id: p1, claim: c, dimension: tone, owner: me}\n", "pacts[0]: unknown key(s): owner"),
        ("      - {pact_id: p1, claim: c, dimension: tone}\n      - {pact_id: p2, claim: d, dimension: Tone}\n",
         "pacts[1].dimension: tone already has a pact (p1)"),
        ("      - {pact_id: p1, claim: c, dimension: tone}\n      - {pact_id: p1, claim: d, dimension: accuracy}\n",
         "pacts[1].pact_id: 'p1' is already used"),
        ("      - {pact_id: 'bad id', claim: c, dimension: tone}\n", "is not a valid id"),
        ("      - just a text\n", "pacts[0]: must be a mapping"),
        ("      {pact_id: p1}\n", "case_types.a.pacts: must be a list"),
        ("      - {pact_id: p1, claim: 5, dimension: tone}\n", "claim: expected a text"),
    ],
)
def test_bad_pacts_fail_clearly(pacts, message):
    with pytest.raises(PolicyError) as info:
        parse_policy(_policy_with_pacts(pacts), "policy.yml")
    assert message in str(info.value)
    assert str(info.value).startswith("policy.yml: case_types.a")
