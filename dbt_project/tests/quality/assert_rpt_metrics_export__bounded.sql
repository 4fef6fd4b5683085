-- Every row of the metrics export: rates within [0, 1] with
-- 0 <= numerator <= denominator and denominator >= 1; hours >= 0.
{%- set time_metrics = "'recovery_hours_median', 'recovery_hours_p90', 'detection_hours_median', 'detection_hours_p90'" %}

with export as (
    select * from {{ ref('rpt_metrics_export') }}
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
        case
            when value is null then 'value is empty'
            when metric in ({{ time_metrics }}) and value < 0 then 'hours below 0'
            when metric in ({{ time_metrics }}) then null
            when value < 0 or value > 1 then 'rate outside [0, 1]'
            when denominator is null or denominator < 1 then 'rate without a positive denominator'
            when numerator is null or numerator < 0 or numerator > denominator then 'numerator outside [0, denominator]'
        end as broken_rule
    from export
)

select * from checked where broken_rule is not null
