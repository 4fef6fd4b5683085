-- Every event with its case (current ticket). Orphans (unknown ticket_id) are
-- kept here, flagged, and never counted by the metrics.
with events as (
    select * from {{ ref('stg_agent_logs__events') }}
),

tickets as (
    select ticket_id, case_type from {{ ref('int_tickets__current') }}
),

final as (
    select
        events.*,
        tickets.case_type,
        tickets.ticket_id is null as is_orphan
    from events
    left join tickets on tickets.ticket_id = events.ticket_id
)

select * from final
