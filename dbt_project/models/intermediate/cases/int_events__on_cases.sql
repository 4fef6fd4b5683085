-- Every event with its case (current ticket). Orphans (unknown ticket_id) are
-- kept here, flagged, and never counted by the metrics.
--
-- A view, not a table: it only adds the case type of the current ticket to
-- each event, and a case type reaches old events whenever a late ticket
-- snapshot changes it. Writing 7M rows again on every build cost more than
-- this join costs each of the five models that read it (DECISIONLOG).
{{ config(materialized='view') }}

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
