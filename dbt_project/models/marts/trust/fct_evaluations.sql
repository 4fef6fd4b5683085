-- Pact evaluations of AI handling: one row per evaluation event on an
-- AI-handled case, attributed to the case's agent (not the evaluator).
with events as (
    select * from {{ ref('int_events__on_cases') }}
    where not is_orphan and event_type = 'evaluation'
),

cases as (
    select ticket_id, case_type, agent_id, agent_version, autonomy_mode
    from {{ ref('int_cases__ai_handling') }}
),

final as (
    select
        events.event_id,
        events.ticket_id,
        cases.case_type,
        cases.agent_id,
        cases.agent_version,
        cases.autonomy_mode,
        events.occurred_at as evaluated_at,
        {{ week_start('events.occurred_at') }} as evaluated_week,
        events.attr_dimension as dimension,
        events.attr_passed as passed,
        events.attr_score as score,
        events.attr_evaluator as evaluator,
        events.attr_pact_id as pact_id,
        events.actor_type as evaluator_actor_type,
        events.actor_id as evaluator_actor_id
    from events
    inner join cases on cases.ticket_id = events.ticket_id
)

select * from final
