"""Approval memos (pure rendering, files) and the autonomy history (append, idempotent per run)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from trustloop.autonomy.history import HISTORY_TABLE, append_history
from trustloop.autonomy.memo import (
    evidence_rows,
    memo_filename,
    render_memo_html,
    render_memo_markdown,
    write_memos,
)

REC = {
    "case_type": "billing_refund", "is_catalogued": True, "as_of_date": date(2026, 11, 22), "policy_version": "p7",
    "window_weeks": 8, "window_start_at": datetime(2026, 9, 28), "window_end_at": datetime(2026, 11, 23),
    "current_tier": "resolve", "recommended_tier": "suggest", "action": "demote",
    "reasons": "Demote from resolve to suggest: dispute rate 6.5% (lower bound 4.3%, 341 autonomous resolutions) "
               "is above the 3.0% limit",
    "model_version": "risk-abc", "is_model_fallback": False,
    "predicted_risk": 0.119, "predicted_risk_lower": 0.094, "predicted_risk_upper": 0.150, "predicted_cases": 512,
    "risk_appetite": 0.05, "empirical_rate": 0.142, "labelled_cases": 240,
    "rule_model_risk": "breach", "evidence_volume": 214, "min_evidence": 100, "rule_evidence": "clear",
    "escalations_required": 107, "escalation_compliance_rate": 0.72, "escalation_compliance_lower": 0.628,
    "escalation_compliance_upper": 0.796, "min_escalation_compliance": 0.95, "rule_escalation": "breach",
    "autonomous_resolutions": 341, "dispute_rate": 0.065, "dispute_rate_lower": 0.043, "dispute_rate_upper": 0.096,
    "max_dispute_rate": 0.03, "rule_dispute": "breach", "freeze_days": 14, "freeze_start_at": datetime(2026, 11, 9),
    "severe_incidents_in_freeze": 1, "rule_freeze": "frozen",
    **{f"pact_{d}_{k}": v for d in ("accuracy", "escalation", "tone", "policy_adherence")
       for k, v in (("threshold", 0.9), ("evaluations", 200), ("rate", 0.92), ("lower", 0.875), ("upper", 0.95))},
    "pact_accuracy_id": "pact-billing_refund-accuracy", "rule_pact_accuracy": "short", "rule_pact_escalation": "short",
    "rule_pact_tone": "short", "rule_pact_policy_adherence": "short",
}
INCIDENTS = [{"incident_id": "INC-00040", "severity": "sev2", "category": "incorrect_autonomous_action",
              "detected_at": datetime(2026, 11, 22, 17, 34), "resolved_at": None}]


def test_memo_names_the_change_the_rules_the_risk_and_the_incidents():
    text = render_memo_markdown(REC, INCIDENTS, {"run": "r1"})
    assert text.startswith("# Approval memo: demote billing_refund from resolve to suggest")
    assert "from **resolve** (acts alone) to **suggest** (drafts replies, a person sends them)" in text
    assert REC["reasons"] in text
    assert "| customer disputes | BREACH | 6.5% of 341 autonomous resolutions disputed (95% bounds 4.3% to 9.6%) |" in text
    assert "| pact: accuracy (pact-billing_refund-accuracy) | not cleared yet |" in text
    assert "| pact: tone (policy threshold) |" in text
    assert "11.9% (95% interval 9.4% to 15.0%) against a risk appetite of 5.0%" in text
    assert "| INC-00040 | sev2 | incorrect_autonomous_action | 2026-11-22 17:34 UTC | open |" in text
    assert "| run | r1 |" in text and "Signature:" in text
    assert len(evidence_rows(REC)) == 9
    html = render_memo_html(REC, [], {})
    assert "<strong>billing_refund</strong>" in html and "<p>None.</p>" in html
    assert "<script" not in render_memo_html({**REC, "reasons": "<script>x</script>"}, [], {})


def test_memo_of_an_uncatalogued_case_type_says_so():
    text = render_memo_markdown({**REC, "is_catalogued": False, "action": "promote", "recommended_tier": "resolve",
                                 "current_tier": "suggest"}, [], {})
    assert "The policy catalog does not list this case type" in text
    assert text.startswith("# Approval memo: promote billing_refund from suggest to resolve")


def test_write_memos_keeps_only_the_current_ones(tmp_path):
    hold = {**REC, "case_type": "order_status", "action": "hold", "recommended_tier": "resolve"}
    first = write_memos([REC, hold], {"billing_refund": INCIDENTS}, tmp_path, {"run": "r1"})
    assert sorted(p.name for p in first) == ["billing_refund_demote.html", "billing_refund_demote.md"]
    (tmp_path / "2026-11-22" / "notes.txt").write_text("kept")  # not a memo: never touched
    changed = {**REC, "action": "hold", "recommended_tier": "resolve"}
    assert write_memos([changed, hold], {}, tmp_path, {"run": "r2"}) == []
    assert sorted(p.name for p in (tmp_path / "2026-11-22").iterdir()) == ["notes.txt"]
    assert memo_filename({"case_type": "Odd Name/x", "action": "promote"}) == "odd_name_x_promote"


@pytest.fixture
def warehouse(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema marts")
    con.execute(
        """create table marts.rpt_autonomy_recommendations as
           select * from (values ('a', date '2026-11-22', 'hold'), ('b', date '2026-11-22', 'demote'))
           t(case_type, as_of_date, action)"""
    )
    yield con
    con.close()


def test_history_appends_per_run_and_is_idempotent(warehouse):
    assert append_history(warehouse, "run-1", datetime(2026, 11, 23, 1)) == 2
    assert append_history(warehouse, "run-1", datetime(2026, 11, 23, 2)) == 2  # same run: replaced, not doubled
    warehouse.execute("update marts.rpt_autonomy_recommendations set action = 'promote' where case_type = 'a'")
    assert append_history(warehouse, "run-2", datetime(2026, 11, 30, 1)) == 2
    rows = warehouse.execute(
        f"select run_id, recorded_at, case_type, action from {HISTORY_TABLE} order by run_id, case_type"
    ).fetchall()
    assert rows == [
        ("run-1", datetime(2026, 11, 23, 2), "a", "hold"), ("run-1", datetime(2026, 11, 23, 2), "b", "demote"),
        ("run-2", datetime(2026, 11, 30, 1), "a", "promote"), ("run-2", datetime(2026, 11, 30, 1), "b", "demote"),
    ]


def test_history_survives_a_new_column(warehouse):
    append_history(warehouse, "run-1", datetime(2026, 11, 23))
    warehouse.execute("alter table marts.rpt_autonomy_recommendations add column reasons varchar")
    warehouse.execute("update marts.rpt_autonomy_recommendations set reasons = 'why'")
    append_history(warehouse, "run-2", datetime(2026, 11, 30))
    rows = warehouse.execute(f"select run_id, reasons from {HISTORY_TABLE} order by run_id, case_type").fetchall()
    assert rows == [("run-1", None), ("run-1", None), ("run-2", "why"), ("run-2", "why")]


def test_history_needs_the_recommendations(tmp_path):
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    try:
        with pytest.raises(RuntimeError, match="build the dbt models first"):
            append_history(con, "run-1", datetime(2026, 11, 23))
    finally:
        con.close()
