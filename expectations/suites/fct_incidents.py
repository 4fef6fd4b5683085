"""marts.fct_incidents: current incidents, detection and recovery hours >= 0."""

from __future__ import annotations

from expectations.batches import duplicate_keys_batch, gx, rows_batch, schema_batch
from expectations.config import Thresholds
from expectations.core import Suite
from trustloop.ingest.contract import CATEGORIES, SEVERITIES

TABLE = "marts.fct_incidents"
COLUMNS = (
    "incident_id", "updated_at", "started_at", "detected_at", "resolved_at", "severity", "category", "agent_id",
    "case_type", "customers_affected", "remediation_cost", "is_open", "is_in_recovery_scope", "detection_hours",
    "recovery_hours", "detected_month",
)


def _row_expectations(_: Thresholds) -> list:
    x = gx()
    return [
        *(x.ExpectColumnValuesToNotBeNull(column=c) for c in ("incident_id", "started_at", "detected_at",
                                                               "severity", "category", "detection_hours",
                                                               "detected_month")),
        x.ExpectColumnValuesToBeInSet(column="severity", value_set=list(SEVERITIES)),
        x.ExpectColumnValuesToBeInSet(column="category", value_set=list(CATEGORIES)),
        x.ExpectColumnValuesToBeBetween(column="detection_hours", min_value=0, description="detection hours >= 0"),
        x.ExpectColumnValuesToBeBetween(column="recovery_hours", min_value=0, description="recovery hours >= 0"),
        x.ExpectColumnValuesToBeBetween(column="customers_affected", min_value=0),
        x.ExpectColumnValuesToBeBetween(column="remediation_cost", min_value=0),
        x.ExpectColumnValuesToBeInSet(column="open_means_unresolved", value_set=[True],
                                      description="is_open exactly when resolved_at is empty"),
    ]


SUITE = Suite(
    name="fct_incidents",
    table=TABLE,
    description="Current incidents with their detection and recovery times.",
    batches=(
        schema_batch(TABLE, dict.fromkeys(COLUMNS + ("ticket_ids",))),
        rows_batch(TABLE, COLUMNS, _row_expectations,
                   index_columns=("incident_id", "started_at", "detected_at", "resolved_at"),
                   as_double=("remediation_cost",),
                   computed={"open_means_unresolved": "is_open = (resolved_at is null)"}),
        duplicate_keys_batch(TABLE, ("incident_id",)),
    ),
)
