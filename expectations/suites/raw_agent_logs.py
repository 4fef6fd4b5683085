"""raw.agent_logs: schema, keys (event_id unique), enums, ranges, volume, null rates, reconciliation.

Unknown event types are the contract's to keep: their share is watched by the coverage suite
(raw_coverage.py, warning only), not here."""

from __future__ import annotations

from expectations.batches import (
    duplicate_keys_batch,
    gx,
    null_rates_batch,
    reconciliation_batch,
    rows_batch,
    weekly_volume_batch,
)
from expectations.config import Thresholds
from expectations.core import Suite
from expectations.suites._raw import META_REQUIRED, raw_schema_batch
from trustloop.ingest.contract import ACTOR_TYPES, AGENT_LOGS, AUTONOMY_MODES

COLUMNS = (
    "event_id", "ticket_id", "occurred_at", "actor_type", "actor_id", "event_type", "agent_version",
    "autonomy_mode", "confidence", "policy_version", *META_REQUIRED,
)


def _row_expectations(_: Thresholds) -> list:
    x = gx()
    return [
        *(x.ExpectColumnValuesToNotBeNull(column=c, description=f"{c} is present (required)")
          for c in (*AGENT_LOGS.required, *META_REQUIRED)),
        x.ExpectColumnValuesToBeInSet(column="actor_type", value_set=list(ACTOR_TYPES)),
        x.ExpectColumnValuesToBeInSet(column="autonomy_mode", value_set=list(AUTONOMY_MODES)),
        x.ExpectColumnValuesToBeBetween(column="confidence", min_value=0, max_value=1),
    ]


SUITE = Suite(
    name="raw_agent_logs",
    table="raw.agent_logs",
    description="Agent-log events as loaded: one row per event_id, contract enums and ranges, steady volume.",
    batches=(
        raw_schema_batch("agent_logs"),
        rows_batch("raw.agent_logs", COLUMNS, _row_expectations, sampled=True,
                   index_columns=("event_id", "ticket_id", "_file", "_line")),
        duplicate_keys_batch("raw.agent_logs", ("event_id",)),
        null_rates_batch("raw.agent_logs"),
        weekly_volume_batch("raw.agent_logs", "occurred_at"),
        reconciliation_batch("agent_logs"),
    ),
)
