-- Current incidents with detection and recovery times (hours).
with incidents as (
    select * from {{ ref('int_incidents__current') }}
),

final as (
    select
        incident_id,
        updated_at,
        started_at,
        detected_at,
        resolved_at,
        severity,
        category,
        agent_id,
        case_type,
        ticket_ids,
        customers_affected,
        remediation_cost,
        resolved_at is null as is_open,
        agent_id is not null and category not in ('outage', 'other') as is_in_recovery_scope,
        {{ seconds_between('started_at', 'detected_at') }} / 3600.0 as detection_hours,
        {{ seconds_between('detected_at', 'resolved_at') }} / 3600.0 as recovery_hours,
        {{ month_start('detected_at') }} as detected_month
    from incidents
)

select * from final
