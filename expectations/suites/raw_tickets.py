"""raw.tickets: schema, keys, enums, ranges, time order, volume, null rates, per-file reconciliation."""

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
from trustloop.ingest.contract import CHANNELS, DISPUTE_OUTCOMES, PRIORITIES, STATUSES, TICKETS

COLUMNS = (
    "ticket_id", "updated_at", "created_at", "channel", "case_type", "priority", "customer_id", "status",
    "solved_at", "amount_at_stake", "csat_score", "reopened_count", "disputed_at", "dispute_outcome",
    *META_REQUIRED,
)
# a normalised case type: lower case, no white space or hyphen (the landing contract's normalisation)
CASE_TYPE_PATTERN = r"^[^A-Z\s\-]+$"


def _row_expectations(t: Thresholds) -> list:
    x = gx()
    order = t.ticket_time_order_mostly
    return [
        *(x.ExpectColumnValuesToNotBeNull(column=c, description=f"{c} is present (required)")
          for c in (*TICKETS.required, *META_REQUIRED)),
        x.ExpectColumnValuesToBeInSet(column="channel", value_set=list(CHANNELS)),
        x.ExpectColumnValuesToBeInSet(column="priority", value_set=list(PRIORITIES)),
        x.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUSES)),
        x.ExpectColumnValuesToBeInSet(column="dispute_outcome", value_set=list(DISPUTE_OUTCOMES)),
        x.ExpectColumnValuesToMatchRegex(column="case_type", regex=CASE_TYPE_PATTERN,
                                         description="case_type is normalised (lower case, no spaces or hyphens)"),
        x.ExpectColumnValuesToBeBetween(column="amount_at_stake", min_value=0),
        x.ExpectColumnValuesToBeBetween(column="csat_score", min_value=1, max_value=5),
        x.ExpectColumnValuesToBeBetween(column="reopened_count", min_value=0),
        x.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="updated_at", column_B="created_at", or_equal=True, mostly=order,
            ignore_row_if="either_value_is_missing", description="time order: updated_at >= created_at"),
        x.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="solved_at", column_B="created_at", or_equal=True, mostly=order,
            ignore_row_if="either_value_is_missing", description="time order: solved_at >= created_at"),
        x.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="disputed_at", column_B="created_at", or_equal=True, mostly=order,
            ignore_row_if="either_value_is_missing", description="time order: disputed_at >= created_at"),
    ]


SUITE = Suite(
    name="raw_tickets",
    table="raw.tickets",
    description="Ticket snapshots as loaded: the contract's columns, keys, enums, ranges and time order.",
    batches=(
        raw_schema_batch("tickets"),
        rows_batch("raw.tickets", COLUMNS, _row_expectations, sampled=True,
                   index_columns=("ticket_id", "updated_at", "_file", "_line"),
                   as_double=("amount_at_stake",)),
        duplicate_keys_batch("raw.tickets", ("_row_hash",)),
        null_rates_batch("raw.tickets"),
        weekly_volume_batch("raw.tickets", "created_at"),
        reconciliation_batch("tickets"),
    ),
)
