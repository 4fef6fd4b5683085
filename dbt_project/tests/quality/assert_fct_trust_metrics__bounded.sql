-- Every row of the headline metrics, inside DuckDB: rates within [0, 1],
-- 0 <= numerator <= denominator, Wilson bounds ordered and within [0, 1],
-- incident hours >= 0. Returns the offending rows with the rule they break.
{%- set time_metrics = "'recovery_hours_median', 'recovery_hours_p90', 'detection_hours_median', 'detection_hours_p90'" %}

with metrics as (
    select * from {{ ref('fct_trust_metrics') }}
),

checked as (
    select
        metric,
        grain,
        grain_value,
        dimension,
        period_start,
        numerator,
        denominator,
        value,
        value_lower,
        value_upper,
        case
            when value is null then 'value is empty'
            when metric in ({{ time_metrics }}) and value < 0 then 'hours below 0'
            when metric in ({{ time_metrics }}) then null
            when value < 0 or value > 1 then 'rate outside [0, 1]'
            when numerator is null or denominator is null then 'rate without numerator or denominator'
            when numerator < 0 or numerator > denominator then 'numerator outside [0, denominator]'
            when value_lower is null or value_upper is null then 'rate without Wilson bounds'
            when value_lower < -1e-9 or value_upper > 1 + 1e-9 then 'Wilson bound outside [0, 1]'
            when value_lower > value + 1e-9 or value_upper < value - 1e-9 then 'Wilson bounds not ordered'
        end as broken_rule
    from metrics
)

select * from checked where broken_rule is not null
