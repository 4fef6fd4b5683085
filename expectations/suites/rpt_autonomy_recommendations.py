"""marts.rpt_autonomy_recommendations: every case type with evidence gets a recommendation.

The check is registered only when the recommendations model exists in the
dbt project (orchestration/assets/quality.py).
"""

from __future__ import annotations

from expectations.batches import gx, schema_batch
from expectations.config import Thresholds
from expectations.core import Batch, Suite
from expectations.suites._marts import RATE_METRICS, in_list

TABLE = "marts.rpt_autonomy_recommendations"


def _coverage_sql(_: Thresholds) -> str:
    return f"""
        with evidence as (
            select grain_value as case_type, sum(denominator) as observations
            from marts.fct_trust_metrics
            where grain = 'case_type' and metric in {in_list(RATE_METRICS)} and grain_value is not null
            group by grain_value
        ),
        recommended as (select distinct case_type from {TABLE})
        select e.case_type, e.observations, r.case_type is not null as in_recommendations
        from evidence e left join recommended r on r.case_type = e.case_type
        order by e.case_type
    """


def _coverage_expectations(_: Thresholds) -> list:
    return [
        gx().ExpectColumnValuesToBeInSet(
            column="in_recommendations", value_set=[True],
            description="every case type with evidence in fct_trust_metrics has a recommendation",
        )
    ]


SUITE = Suite(
    name="rpt_autonomy_recommendations",
    table=TABLE,
    description="Autonomy recommendations: no case type with evidence is left out.",
    batches=(
        schema_batch(TABLE, {"case_type": None}),
        Batch(
            name="coverage",
            description="case types with evidence (rate metrics, grain case_type) against the recommendations",
            query=_coverage_sql,
            expectations=_coverage_expectations,
            index_columns=("case_type", "observations"),
            requires=("marts.fct_trust_metrics",),
        ),
    ),
)
