-- The metrics export: the public, long table that tests and BI tools read.
-- Exactly the columns of the metric definitions, grains case_type and agent.
with metrics as (
    select * from {{ ref('fct_trust_metrics') }}
    where grain in ('case_type', 'agent')
),

final as (
    select
        metric,
        grain,
        grain_value,
        dimension,
        period,
        period_start,
        numerator,
        denominator,
        value
    from metrics
)

select * from final
