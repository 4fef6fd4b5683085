"""marts.fct_escalations: one row per case requiring escalation, delays >= 0, outcomes consistent."""

from __future__ import annotations

from expectations.batches import duplicate_keys_batch, gx, null_rates_batch, rows_batch, schema_batch
from expectations.config import Thresholds
from expectations.core import Suite

TABLE = "marts.fct_escalations"
COLUMNS = (
    "ticket_id", "case_type", "agent_id", "agent_version", "autonomy_mode", "triggered_at", "trigger_reason",
    "max_handoff_delay_seconds", "handoff_at", "handoff_delay_seconds", "takeover_at", "ai_resolved_at",
    "is_resolved_before_handoff", "is_compliant", "escalation_outcome", "triggered_week",
)
OUTCOMES = ("resolved_before_handoff", "timely_handoff", "late_handoff", "human_takeover",
            "resolved_without_handoff", "no_handoff")


def _row_expectations(_: Thresholds) -> list:
    x = gx()
    return [
        *(x.ExpectColumnValuesToNotBeNull(column=c) for c in ("ticket_id", "case_type", "agent_id", "triggered_at",
                                                               "is_compliant", "escalation_outcome")),
        x.ExpectColumnValuesToBeInSet(column="escalation_outcome", value_set=list(OUTCOMES)),
        x.ExpectColumnValuesToBeBetween(column="handoff_delay_seconds", min_value=0,
                                        description="hours >= 0: a handoff counts from the trigger on"),
        x.ExpectColumnValuesToBeBetween(column="max_handoff_delay_seconds", min_value=0),
        x.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="handoff_at", column_B="triggered_at", or_equal=True, ignore_row_if="either_value_is_missing",
            description="time order: handoff_at >= triggered_at"),
        x.ExpectColumnValuesToBeInSet(
            column="compliance_matches_outcome", value_set=[True],
            description="is_compliant exactly when the outcome is a timely handoff"),
    ]


SUITE = Suite(
    name="fct_escalations",
    table=TABLE,
    description="Escalation evidence: required escalations, their handoff delays and compliance.",
    batches=(
        schema_batch(TABLE, dict.fromkeys(COLUMNS)),
        rows_batch(TABLE, COLUMNS, _row_expectations, index_columns=("ticket_id", "case_type", "agent_id"),
                   computed={"compliance_matches_outcome": "is_compliant = (escalation_outcome = 'timely_handoff')"}),
        duplicate_keys_batch(TABLE, ("ticket_id",)),
        null_rates_batch(TABLE),
    ),
)
