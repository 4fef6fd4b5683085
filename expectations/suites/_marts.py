"""Shared vocabulary of the mart suites."""

from __future__ import annotations

RATE_METRICS = ("escalation_compliance_rate", "dispute_rate", "upheld_dispute_rate", "pact_pass_rate")
TIME_METRICS = ("recovery_hours_median", "recovery_hours_p90", "detection_hours_median", "detection_hours_p90")
METRICS = RATE_METRICS + TIME_METRICS
METRIC_KEY = ("metric", "grain", "grain_value", "dimension", "period_start")


def in_list(values) -> str:
    return "(" + ", ".join("'" + v + "'" for v in values) + ")"
