-- One row per case with at least one case_assigned event by an ai_agent: the
-- earliest such assignment (by occurred_at, then event_id) - its agent, mode,
-- policy, confidence - and the agent's release on the case.
--
-- Its own table, not a CTE of int_cases__ai_handling: built in one query with
-- the milestones, the two windows, the aggregate and four joins held their
-- memory together, and at 1M cases the query failed under some memory caps
-- (DECISIONLOG, "The first AI assignment is its own model").
with events as {{ trustloop.inlined() }} (
    select * from {{ ref('int_events__on_cases') }}
    where not is_orphan and is_known_event_type
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

final as (
    select
        first_assignment.ticket_id,
        first_assignment.agent_id,
        coalesce(first_assignment.agent_version, agent_versions.agent_version) as agent_version,
        first_assignment.autonomy_mode,
        first_assignment.policy_version,
        first_assignment.confidence,
        first_assignment.assigned_at
    from first_assignment
    left join agent_versions
        on agent_versions.ticket_id = first_assignment.ticket_id and agent_versions.version_rank = 1
)

select * from final
