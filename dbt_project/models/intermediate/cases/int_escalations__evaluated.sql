-- One row per AI-handled case that requires escalation (at least one
-- escalation_trigger with attributes.required = true). T is the earliest such
-- trigger. Compliant: an ai_agent handoff_to_human at or after T and no later
-- than T + max_handoff_delay (policy), with no ai_agent case_resolved between
-- T and that handoff. A human takeover without such a handoff is not compliant.
with events as (
    select * from {{ ref('int_events__on_cases') }}
    where not is_orphan and is_known_event_type
),

cases as (
    select * from {{ ref('int_cases__ai_handling') }}
),

policy as (
    select case_type, max_handoff_delay_seconds from {{ ref('int_case_types__policy') }}
),

triggers as (
    select
        ticket_id,
        occurred_at as triggered_at,
        attr_reason as trigger_reason,
        row_number() over (partition by ticket_id order by occurred_at, event_id) as trigger_rank
    from events
    where event_type = 'escalation_trigger' and attr_required
),

required as (
    select
        cases.ticket_id,
        cases.case_type,
        cases.agent_id,
        cases.agent_version,
        cases.autonomy_mode,
        triggers.triggered_at,
        triggers.trigger_reason,
        policy.max_handoff_delay_seconds
    from cases
    inner join triggers on triggers.ticket_id = cases.ticket_id and triggers.trigger_rank = 1
    left join policy on policy.case_type = cases.case_type
),

first_handoff as (
    select
        required.ticket_id,
        min(events.occurred_at) as handoff_at
    from required
    inner join events
        on events.ticket_id = required.ticket_id
        and events.event_type = 'handoff_to_human'
        and events.actor_type = 'ai_agent'
        and events.occurred_at >= required.triggered_at
    group by required.ticket_id
),

first_takeover as (
    select
        required.ticket_id,
        min(events.occurred_at) as takeover_at
    from required
    inner join events
        on events.ticket_id = required.ticket_id
        and events.event_type = 'human_takeover'
        and events.occurred_at >= required.triggered_at
    group by required.ticket_id
),

first_resolution as (
    select
        required.ticket_id,
        min(events.occurred_at) as ai_resolved_at
    from required
    inner join events
        on events.ticket_id = required.ticket_id
        and events.event_type = 'case_resolved'
        and events.actor_type = 'ai_agent'
        and events.occurred_at >= required.triggered_at
    group by required.ticket_id
),

joined as (
    select
        required.*,
        first_handoff.handoff_at,
        first_takeover.takeover_at,
        first_resolution.ai_resolved_at,
        {{ seconds_between('required.triggered_at', 'first_handoff.handoff_at') }} as handoff_delay_seconds,
        coalesce(first_resolution.ai_resolved_at <= first_handoff.handoff_at, false) as is_resolved_before_handoff
    from required
    left join first_handoff on first_handoff.ticket_id = required.ticket_id
    left join first_takeover on first_takeover.ticket_id = required.ticket_id
    left join first_resolution on first_resolution.ticket_id = required.ticket_id
),

final as (
    select
        *,
        (
            handoff_at is not null
            and handoff_delay_seconds <= max_handoff_delay_seconds
            and not is_resolved_before_handoff
        ) as is_compliant,
        case
            when handoff_at is not null and is_resolved_before_handoff then 'resolved_before_handoff'
            when handoff_at is not null and handoff_delay_seconds <= max_handoff_delay_seconds then 'timely_handoff'
            when handoff_at is not null then 'late_handoff'
            when takeover_at is not null then 'human_takeover'
            when ai_resolved_at is not null then 'resolved_without_handoff'
            else 'no_handoff'
        end as escalation_outcome,
        {{ week_start('triggered_at') }} as triggered_week
    from joined
)

select * from final
