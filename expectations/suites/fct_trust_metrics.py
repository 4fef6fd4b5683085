"""marts.fct_trust_metrics: rates within [0, 1], Wilson bounds ordered, numerator <= denominator, hours >= 0."""

from __future__ import annotations

from expectations.batches import gx, rows_batch, schema_batch
from expectations.config import Thresholds
from expectations.core import Suite
from expectations.suites._marts import METRIC_KEY, METRICS, RATE_METRICS, TIME_METRICS, in_list

TABLE = "marts.fct_trust_metrics"
COLUMNS = (
    "metric", "grain", "grain_value", "dimension", "period", "period_start", "numerator", "denominator", "value",
    "value_lower", "value_upper", "incident_count", "open_count",
)


def _all_rows(_: Thresholds) -> list:
    x = gx()
    return [
        *(x.ExpectColumnValuesToNotBeNull(column=c) for c in ("metric", "grain", "grain_value", "period",
                                                               "period_start", "denominator", "value")),
        x.ExpectColumnValuesToBeInSet(column="metric", value_set=list(METRICS)),
        x.ExpectColumnValuesToBeInSet(column="grain", value_set=["case_type", "agent", "agent_version"]),
        x.ExpectColumnValuesToBeInSet(column="period", value_set=["week", "month"]),
    ]


def rate_expectations(t: Thresholds, *, wilson: bool = True) -> list:
    """Rates: value in [0, 1], 0 <= numerator <= denominator, denominator >= 1 (and Wilson bounds ordered)."""
    x = gx()
    tol = t.float_tolerance
    found = [
        x.ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=1,
                                        description="rates within [0, 1]"),
        x.ExpectColumnValuesToNotBeNull(column="numerator", description="a rate has a numerator"),
        x.ExpectColumnValuesToBeBetween(column="numerator", min_value=0),
        x.ExpectColumnValuesToBeBetween(column="denominator", min_value=1,
                                        description="rates with a zero denominator are not written"),
        x.ExpectColumnPairValuesAToBeGreaterThanB(column_A="denominator", column_B="numerator", or_equal=True,
                                                  description="numerator <= denominator"),
        x.ExpectColumnValuesToBeInSet(column="period", value_set=["week"], description="rates are weekly"),
    ]
    if wilson:
        found += [
            x.ExpectColumnValuesToBeBetween(column="value_lower", min_value=-tol, max_value=1 + tol,
                                            description="Wilson lower bound within [0, 1]"),
            x.ExpectColumnValuesToBeBetween(column="value_upper", min_value=-tol, max_value=1 + tol,
                                            description="Wilson upper bound within [0, 1]"),
            x.ExpectColumnValuesToBeBetween(column="value_minus_lower", min_value=-tol,
                                            description="Wilson bounds ordered: value_lower <= value"),
            x.ExpectColumnValuesToBeBetween(column="upper_minus_value", min_value=-tol,
                                            description="Wilson bounds ordered: value <= value_upper"),
        ]
    return found


def time_expectations(_: Thresholds, *, counts: bool = True) -> list:
    """Incident time statistics: hours >= 0 over at least one resolved incident, no numerator."""
    x = gx()
    found = [
        x.ExpectColumnValuesToBeBetween(column="value", min_value=0, description="hours >= 0"),
        x.ExpectColumnValuesToBeBetween(column="denominator", min_value=1,
                                        description="time statistics are written for groups with a resolved incident"),
        x.ExpectColumnValuesToBeNull(column="numerator", description="time statistics have no numerator"),
        x.ExpectColumnValuesToBeInSet(column="period", value_set=["month"], description="time statistics are monthly"),
    ]
    if counts:
        found += [
            x.ExpectColumnPairValuesAToBeGreaterThanB(column_A="incident_count", column_B="denominator",
                                                      or_equal=True,
                                                      description="resolved incidents <= incidents in the group"),
            x.ExpectColumnValuesToBeBetween(column="open_count", min_value=0),
        ]
    return found


SUITE = Suite(
    name="fct_trust_metrics",
    table=TABLE,
    description="The headline metrics: bounded rates with ordered Wilson bounds, non-negative hours.",
    batches=(
        schema_batch(TABLE, dict.fromkeys(COLUMNS)),
        rows_batch(TABLE, COLUMNS, _all_rows, index_columns=METRIC_KEY, name="rows"),
        rows_batch(
            TABLE, COLUMNS, rate_expectations,
            index_columns=(*METRIC_KEY, "numerator", "denominator", "value", "value_lower", "value_upper"),
            name="rates", where=f"metric not in {in_list(TIME_METRICS)}",
            description=f"rate rows of {TABLE} (every metric but the incident time statistics)",
            computed={"value_minus_lower": "value - value_lower", "upper_minus_value": "value_upper - value"},
        ),
        rows_batch(
            TABLE, COLUMNS, time_expectations, index_columns=(*METRIC_KEY, "denominator"),
            name="times", where=f"metric not in {in_list(RATE_METRICS)}",
            description=f"incident time-statistic rows of {TABLE}",
        ),
    ),
)
