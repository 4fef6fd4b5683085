-- The headline metrics, long: one row per metric, grain (case_type, agent,
-- agent_version), dimension and period, with Wilson 95 % bounds for rates.
-- rpt_metrics_export publishes the case_type and agent grains.
with escalations as (
    select * from {{ ref('fct_escalations') }}
),

resolutions as (
    select * from {{ ref('fct_autonomous_resolutions') }}
),

evaluations as (
    select * from {{ ref('fct_evaluations') }}
    where dimension in ('accuracy', 'escalation', 'tone', 'policy_adherence') and passed is not null
),

incidents as (
    select * from {{ ref('fct_incidents') }}
    where is_in_recovery_scope
),

observations as (
    select
        'escalation_compliance_rate' as metric, cast(null as {{ dbt.type_string() }}) as dimension,
        case_type, agent_id, agent_version, triggered_week as period_start,
        case when is_compliant then 1 else 0 end as hit
    from escalations
    union all
    select
        'dispute_rate', cast(null as {{ dbt.type_string() }}), case_type, agent_id, agent_version, resolved_week,
        case when is_disputed then 1 else 0 end
    from resolutions
    union all
    select
        'upheld_dispute_rate', cast(null as {{ dbt.type_string() }}), case_type, agent_id, agent_version, resolved_week,
        case when is_dispute_upheld then 1 else 0 end
    from resolutions
    union all
    select
        'pact_pass_rate', dimension, case_type, agent_id, agent_version, evaluated_week,
        case when passed then 1 else 0 end
    from evaluations
),

grained as (
    select metric, dimension, 'case_type' as grain, case_type as grain_value, period_start, hit
    from observations
    union all
    select metric, dimension, 'agent', agent_id, period_start, hit
    from observations
    union all
    select metric, dimension, 'agent_version', agent_id || '@' || coalesce(agent_version, 'unknown'), period_start, hit
    from observations
),

rates as (
    select
        metric,
        grain,
        grain_value,
        dimension,
        'week' as period,
        period_start,
        cast(sum(hit) as bigint) as numerator,
        cast(count(*) as bigint) as denominator
    from grained
    group by metric, grain, grain_value, dimension, period_start
),

incident_grains as (
    select
        'case_type' as grain, case_type as grain_value, detected_month as period_start, is_open,
        recovery_hours, detection_hours
    from incidents
    where case_type is not null
    union all
    select 'agent', agent_id, detected_month, is_open, recovery_hours, detection_hours
    from incidents
),

incident_stats as (
    select
        grain,
        grain_value,
        period_start,
        count(*) as incident_count,
        sum(case when is_open then 1 else 0 end) as open_count,
        sum(case when is_open then 0 else 1 end) as resolved_count,
        {{ quantile_cont('case when not is_open then recovery_hours end', 0.5) }} as recovery_hours_median,
        {{ quantile_cont('case when not is_open then recovery_hours end', 0.9) }} as recovery_hours_p90,
        {{ quantile_cont('case when not is_open then detection_hours end', 0.5) }} as detection_hours_median,
        {{ quantile_cont('case when not is_open then detection_hours end', 0.9) }} as detection_hours_p90
    from incident_grains
    group by grain, grain_value, period_start
),

incident_rows as (
    {% for stat in ['recovery_hours_median', 'recovery_hours_p90', 'detection_hours_median', 'detection_hours_p90'] %}
    select
        '{{ stat }}' as metric, grain, grain_value, cast(null as {{ dbt.type_string() }}) as dimension, 'month' as period,
        period_start, cast(null as bigint) as numerator, cast(resolved_count as bigint) as denominator,
        cast({{ stat }} as double) as value, incident_count, open_count
    from incident_stats
    where resolved_count > 0
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        metric, grain, grain_value, dimension, period, period_start, numerator, denominator,
        cast(numerator as double) / denominator as value,
        {{ wilson_lower('numerator', 'denominator') }} as value_lower,
        {{ wilson_upper('numerator', 'denominator') }} as value_upper,
        cast(null as bigint) as incident_count,
        cast(null as bigint) as open_count
    from rates
    where denominator > 0
    union all
    select
        metric, grain, grain_value, dimension, period, period_start, numerator, denominator, value,
        cast(null as double), cast(null as double), incident_count, open_count
    from incident_rows
)

select * from final
