"""The suites, one module per guarded table. ``SUITES`` lists them in run order."""

from __future__ import annotations

from expectations.core import Suite
from expectations.suites import (
    fct_escalations,
    fct_evaluations,
    fct_incidents,
    fct_trust_metrics,
    raw_agent_logs,
    raw_coverage,
    raw_file_ledger,
    raw_incidents,
    raw_tickets,
    rpt_autonomy_recommendations,
    rpt_metrics_export,
)

SUITES: tuple[Suite, ...] = (
    raw_tickets.SUITE,
    raw_agent_logs.SUITE,
    raw_incidents.SUITE,
    raw_file_ledger.SUITE,
    *raw_coverage.SUITES,
    fct_escalations.SUITE,
    fct_evaluations.SUITE,
    fct_evaluations.DRIFT_SUITE,
    fct_incidents.SUITE,
    fct_trust_metrics.SUITE,
    rpt_metrics_export.SUITE,
    rpt_autonomy_recommendations.SUITE,
)

SUITES_BY_NAME: dict[str, Suite] = {s.name: s for s in SUITES}


def get_suite(name: str) -> Suite:
    try:
        return SUITES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown suite {name!r}; known: {', '.join(SUITES_BY_NAME)}") from None
