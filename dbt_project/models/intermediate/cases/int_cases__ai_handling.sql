-- One row per AI-handled case (a current ticket with at least one
-- case_assigned event by an ai_agent): its agent, mode and version from the
-- earliest such assignment, and the milestones the metrics are built from.
with events as {{ trustloop.inlined() }} (
    select * from {{ ref('int_events__on_cases') }}
    where not is_orphan and is_known_event_type
),

tickets as (
    select * from {{ ref('int_tickets__current') }}
),

ai_assignments as (
    select
        ticket_id,
        actor_id as agent_id,
        coalesce(autonomy_mode, attr_mode) as autonomy_mode,
        agent_version,
        policy_version,
        confidence,
        occurred_at as assigned_at,
        row_number() over (partition by ticket_id order by occurred_at, event_id) as assignment_rank
    from events
    where event_type = 'case_assigned' and actor_type = 'ai_agent'
),

first_assignment as (
    select * from ai_assignments where assignment_rank = 1
),

-- the agent's release on the case: from the assignment, else its first versioned event on the case
agent_versions as (
    select
        events.ticket_id,
        events.agent_version,
        row_number() over (partition by events.ticket_id order by events.occurred_at, events.event_id) as version_rank
    from events
    inner join first_assignment
        on first_assignment.ticket_id = events.ticket_id and first_assignment.agent_id = events.actor_id
    where events.actor_type = 'ai_agent' and events.agent_version is not null
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
        coalesce(first_assignment.agent_version, agent_versions.agent_version) as agent_version,
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
    left join agent_versions
        on agent_versions.ticket_id = first_assignment.ticket_id and agent_versions.version_rank = 1
)

select * from final
