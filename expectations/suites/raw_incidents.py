"""raw.incidents: schema, keys, enums, ranges, time order (started <= detected <= resolved), reconciliation."""

from __future__ import annotations

from expectations.batches import duplicate_keys_batch, gx, null_rates_batch, reconciliation_batch, rows_batch
from expectations.config import Thresholds
from expectations.core import Suite
from expectations.suites._raw import META_REQUIRED, raw_schema_batch
from trustloop.ingest.contract import CATEGORIES, INCIDENTS, SEVERITIES

COLUMNS = (
    "incident_id", "updated_at", "started_at", "detected_at", "resolved_at", "severity", "category",
    "agent_id", "case_type", "customers_affected", "remediation_cost", *META_REQUIRED,
)


def _row_expectations(_: Thresholds) -> list:
    x = gx()
    return [
        *(x.ExpectColumnValuesToNotBeNull(column=c, description=f"{c} is present (required)")
          for c in (*INCIDENTS.required, *META_REQUIRED)),
        x.ExpectColumnValuesToBeInSet(column="severity", value_set=list(SEVERITIES)),
        x.ExpectColumnValuesToBeInSet(column="category", value_set=list(CATEGORIES)),
        x.ExpectColumnValuesToBeBetween(column="customers_affected", min_value=0),
        x.ExpectColumnValuesToBeBetween(column="remediation_cost", min_value=0),
        # the contract quarantines rows out of time order: one in raw slipped past the loader
        x.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="detected_at", column_B="started_at", or_equal=True,
            ignore_row_if="either_value_is_missing", description="time order: detected_at >= started_at"),
        x.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="resolved_at", column_B="detected_at", or_equal=True,
            ignore_row_if="either_value_is_missing", description="time order: resolved_at >= detected_at"),
    ]


SUITE = Suite(
    name="raw_incidents",
    table="raw.incidents",
    description="Incident snapshots as loaded: required fields, enums, non-negative counts, time order.",
    batches=(
        raw_schema_batch("incidents"),
        rows_batch("raw.incidents", COLUMNS, _row_expectations, sampled=True,
                   index_columns=("incident_id", "started_at", "detected_at", "resolved_at", "_file", "_line"),
                   as_double=("remediation_cost",)),
        duplicate_keys_batch("raw.incidents", ("_row_hash",)),
        null_rates_batch("raw.incidents"),
        reconciliation_batch("incidents"),
    ),
)
