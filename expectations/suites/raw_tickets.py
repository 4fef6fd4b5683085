"""raw.tickets: schema, keys, enums, ranges, time order, volume, null rates, per-file reconciliation."""

from __future__ import annotations

from collections.abc import Callable

from expectations.batches import (
    duplicate_keys_batch,
    gx,
    null_rates_batch,
    reconciliation_batch,
    rows_batch,
    weekly_volume_batch,
)
from expectations.config import Thresholds
from expectations.core import Batch, Suite
from expectations.suites._raw import META_REQUIRED, raw_schema_batch
from trustloop.ingest.contract import CHANNELS, DISPUTE_OUTCOMES, PRIORITIES, STATUSES, TICKETS

COLUMNS = (
    "ticket_id", "updated_at", "created_at", "channel", "case_type", "priority", "customer_id", "status",
    "solved_at", "amount_at_stake", "csat_score", "reopened_count", "disputed_at", "dispute_outcome",
    *META_REQUIRED,
)
# a normalised case type: lower case, no white space or hyphen (the landing contract's normalisation)
CASE_TYPE_PATTERN = r"^[^A-Z\s\-]+$"


def _row_expectations(_: Thresholds) -> list:
    x = gx()
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
    ]


# each ticket's current snapshot: the latest updated_at, then the one delivered last (files in path order)
CURRENT_SNAPSHOTS = "rowid in (select max_by(rowid, (updated_at, _file, _line)) from raw.tickets group by ticket_id)"


def time_order_batch(mostly: Callable[[Thresholds], float], kind: str) -> Batch:
    """updated_at, solved_at and disputed_at at or after created_at, on each ticket's current snapshot.

    The contract does not order these times, so the rule holds for most snapshots only. It judges the
    current snapshots, the ones the metrics read: a corrected snapshot delivered later supersedes a wrong
    one, as the contract corrects a ticket; judged over every stored snapshot, a wrong one would count
    for ever."""

    def expectations(t: Thresholds) -> list:
        x, share = gx(), mostly(t)
        return [x.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=column, column_B="created_at", or_equal=True, mostly=share,
            ignore_row_if="either_value_is_missing",
            description=f"time order ({kind}): {column} >= created_at on at least {share:.0%} of current snapshots")
            for column in ("updated_at", "solved_at", "disputed_at")]

    return rows_batch("raw.tickets", ("ticket_id", "updated_at", "created_at", "solved_at", "disputed_at",
                                      "_file", "_line"),
                      expectations, index_columns=("ticket_id", "updated_at", "_file", "_line"), sampled=True,
                      where=CURRENT_SNAPSHOTS, name=f"time_order_{kind}",
                      description="time order of each ticket's current snapshot (a bounded, repeatable sample "
                                  "when large)")


SUITE = Suite(
    name="raw_tickets",
    table="raw.tickets",
    description="Ticket snapshots as loaded: the contract's columns, keys, enums, ranges, and the time order of "
                "current snapshots (most of them).",
    batches=(
        raw_schema_batch("tickets"),
        rows_batch("raw.tickets", COLUMNS, _row_expectations, sampled=True,
                   index_columns=("ticket_id", "updated_at", "_file", "_line"),
                   as_double=("amount_at_stake",)),
        time_order_batch(lambda t: t.ticket_time_order_mostly, "systematic"),
        duplicate_keys_batch("raw.tickets", ("_row_hash",)),
        null_rates_batch("raw.tickets"),
        weekly_volume_batch("raw.tickets", "created_at"),
        reconciliation_batch("tickets"),
    ),
)
