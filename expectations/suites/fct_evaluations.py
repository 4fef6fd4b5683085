"""marts.fct_evaluations: pact evaluations (keys, dimensions, scores, null rates, weekly volume),
and, in a separate non-blocking suite, the drift of pass rates per dimension."""

from __future__ import annotations

from expectations.batches import (
    duplicate_keys_batch,
    gx,
    null_rates_batch,
    pass_rate_drift_batch,
    rows_batch,
    schema_batch,
    weekly_volume_batch,
)
from expectations.config import Thresholds
from expectations.core import Suite
from trustloop.ingest.contract import PACT_DIMENSIONS

TABLE = "marts.fct_evaluations"
COLUMNS = (
    "event_id", "ticket_id", "case_type", "agent_id", "agent_version", "autonomy_mode", "evaluated_at",
    "evaluated_week", "dimension", "passed", "score", "evaluator", "pact_id", "evaluator_actor_type",
    "evaluator_actor_id",
)
# evaluations of another dimension are ignored by the pass rates; a flood of them is a changed export. The
# loader quarantines them (and evaluations without a dimension or passed) since 2026-12-06: this gate and
# the null-rate ceilings on passed and dimension guard the rows stored before
DIMENSIONS_MOSTLY = 0.99


def _row_expectations(_: Thresholds) -> list:
    x = gx()
    return [
        *(x.ExpectColumnValuesToNotBeNull(column=c) for c in ("event_id", "ticket_id", "case_type",
                                                               "evaluated_at", "evaluated_week")),
        x.ExpectColumnValuesToBeInSet(column="dimension", value_set=list(PACT_DIMENSIONS), mostly=DIMENSIONS_MOSTLY,
                                      description="evaluations are of the pact dimensions"),
        x.ExpectColumnValuesToBeInSet(column="passed", value_set=[True, False]),
        x.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=1),
    ]


SUITE = Suite(
    name="fct_evaluations",
    table=TABLE,
    description="Pact evaluations of AI handling: keys, dimensions, verdicts, null rates and weekly volume.",
    batches=(
        schema_batch(TABLE, dict.fromkeys(COLUMNS)),
        rows_batch(TABLE, COLUMNS, _row_expectations, index_columns=("event_id", "ticket_id", "dimension")),
        duplicate_keys_batch(TABLE, ("event_id",)),
        null_rates_batch(TABLE),
        weekly_volume_batch(TABLE, "evaluated_at"),
    ),
)

# A real regression of the agents moves pass rates too: that is evidence, and
# a demotion must not be held back by it. Drift is reported (WARN), not blocking.
DRIFT_SUITE = Suite(
    name="fct_evaluations_drift",
    table=TABLE,
    description="Drift of pact pass rates per dimension, latest complete week vs trailing weeks (warning only).",
    batches=(pass_rate_drift_batch(),),
    blocking=False,
)
