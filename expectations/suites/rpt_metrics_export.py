"""marts.rpt_metrics_export: exactly the export's columns; bounded rates, non-negative hours."""

from __future__ import annotations

from functools import partial

from expectations.batches import gx, rows_batch, schema_batch
from expectations.config import Thresholds
from expectations.core import Suite
from expectations.suites._marts import METRIC_KEY, METRICS, RATE_METRICS, TIME_METRICS, in_list
from expectations.suites.fct_trust_metrics import rate_expectations, time_expectations

TABLE = "marts.rpt_metrics_export"
# the public interface (metrics.md, "Metrics export"): exactly these columns
COLUMNS = ("metric", "grain", "grain_value", "dimension", "period", "period_start", "numerator", "denominator",
           "value")


def _all_rows(_: Thresholds) -> list:
    x = gx()
    return [
        *(x.ExpectColumnValuesToNotBeNull(column=c) for c in ("metric", "grain", "grain_value", "period",
                                                               "period_start", "denominator", "value")),
        x.ExpectColumnValuesToBeInSet(column="metric", value_set=list(METRICS)),
        x.ExpectColumnValuesToBeInSet(column="grain", value_set=["case_type", "agent"]),
        x.ExpectColumnValuesToBeInSet(column="period", value_set=["week", "month"]),
        x.ExpectColumnValuesToBeInSet(column="dimension",
                                      value_set=["accuracy", "escalation", "tone", "policy_adherence"]),
    ]


SUITE = Suite(
    name="rpt_metrics_export",
    table=TABLE,
    description="The metrics export, the interface tests and BI tools read.",
    batches=(
        schema_batch(TABLE, dict.fromkeys(COLUMNS), exact=True),
        rows_batch(TABLE, COLUMNS, _all_rows, index_columns=METRIC_KEY, name="rows"),
        rows_batch(
            TABLE, COLUMNS, partial(rate_expectations, wilson=False),
            index_columns=(*METRIC_KEY, "numerator", "denominator"),
            name="rates", where=f"metric not in {in_list(TIME_METRICS)}",
            description=f"rate rows of {TABLE}",
        ),
        rows_batch(
            TABLE, COLUMNS, partial(time_expectations, counts=False), index_columns=(*METRIC_KEY, "denominator"),
            name="times", where=f"metric not in {in_list(RATE_METRICS)}",
            description=f"incident time-statistic rows of {TABLE}",
        ),
    ),
)
