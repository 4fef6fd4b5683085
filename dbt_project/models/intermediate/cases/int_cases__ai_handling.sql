-- One row per AI-handled case (a current ticket with at least one
-- case_assigned event by an ai_agent): the current ticket, its earliest AI
-- assignment (int_cases__first_ai_assignment: agent, mode, version) and the
-- milestones the metrics are built from.
with events as {{ trustloop.inlined() }} (
    select * from {{ ref('int_events__on_cases') }}
    where not is_orphan and is_known_event_type
),

tickets as (
    select * from {{ ref('int_tickets__current') }}
),

first_assignment as (
    select * from {{ ref('int_cases__first_ai_assignment') }}
),

milestones as (
    select
        ticket_id,
        min(case when event_type = 'case_resolved' and actor_type = 'ai_agent' then occurred_at end)
            as first_ai_resolution_at,
        min(case when event_type = 'handoff_to_human' and actor_type = 'ai_agent' then occurred_at end)
            as first_ai_handoff_at,
        min(case when event_type = 'human_takeover' then occurred_at end) as first_takeover_at,
        sum(case when event_type = 'evaluation' then 1 else 0 end) as evaluation_count,
        sum(case when event_type = 'suggestion_made' then 1 else 0 end) as suggestion_count,
        sum(case when event_type = 'suggestion_reviewed' and attr_verdict = 'rejected' then 1 else 0 end)
            as rejected_suggestion_count,
        sum(case when event_type = 'escalation_trigger' and attr_required then 1 else 0 end)
            as required_trigger_count
    from events
    group by ticket_id
),

final as (
    select
        first_assignment.ticket_id,
        tickets.case_type,
        tickets.channel,
        tickets.priority,
        tickets.customer_id,
        tickets.created_at,
        tickets.status,
        tickets.amount_at_stake,
        tickets.reopened_count,
        tickets.csat_score,
        tickets.disputed_at,
        tickets.dispute_outcome,
        first_assignment.agent_id,
        first_assignment.agent_version,
        first_assignment.autonomy_mode,
        first_assignment.policy_version,
        first_assignment.confidence,
        first_assignment.assigned_at,
        milestones.first_ai_resolution_at,
        milestones.first_ai_handoff_at,
        milestones.first_takeover_at,
        milestones.first_ai_handoff_at is not null as is_handed_off,
        milestones.first_takeover_at is not null as is_taken_over,
        (
            milestones.first_ai_resolution_at is not null
            and not coalesce(milestones.first_ai_handoff_at <= milestones.first_ai_resolution_at, false)
            and not coalesce(milestones.first_takeover_at <= milestones.first_ai_resolution_at, false)
        ) as is_autonomously_resolved,
        coalesce(milestones.evaluation_count, 0) as evaluation_count,
        coalesce(milestones.suggestion_count, 0) as suggestion_count,
        coalesce(milestones.rejected_suggestion_count, 0) as rejected_suggestion_count,
        coalesce(milestones.required_trigger_count, 0) as required_trigger_count
    from first_assignment
    inner join tickets on tickets.ticket_id = first_assignment.ticket_id
    left join milestones on milestones.ticket_id = first_assignment.ticket_id
)

select * from final
