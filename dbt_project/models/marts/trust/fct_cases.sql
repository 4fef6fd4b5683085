-- Case facts: one row per current ticket, with its AI handling (if any).
with tickets as (
    select * from {{ ref('int_tickets__current') }}
),

ai as (
    select * from {{ ref('int_cases__ai_handling') }}
),

policy as (
    select case_type, is_catalogued from {{ ref('int_case_types__policy') }}
),

final as (
    select
        tickets.ticket_id,
        tickets.case_type,
        coalesce(policy.is_catalogued, false) as is_catalogued_case_type,
        tickets.channel,
        tickets.priority,
        tickets.customer_id,
        tickets.status,
        tickets.created_at,
        tickets.updated_at,
        tickets.solved_at,
        tickets.amount_at_stake,
        tickets.csat_score,
        tickets.reopened_count,
        tickets.disputed_at,
        tickets.dispute_outcome,
        tickets.snapshot_count,
        ai.ticket_id is not null as is_ai_handled,
        ai.agent_id,
        ai.agent_version,
        ai.autonomy_mode,
        ai.policy_version,
        ai.assigned_at,
        ai.first_ai_resolution_at,
        ai.first_ai_handoff_at,
        ai.first_takeover_at,
        coalesce(ai.is_handed_off, false) as is_handed_off,
        coalesce(ai.is_taken_over, false) as is_taken_over,
        coalesce(ai.is_autonomously_resolved, false) as is_autonomously_resolved,
        case when ai.is_autonomously_resolved then ai.first_ai_resolution_at end as resolution_at,
        coalesce(ai.evaluation_count, 0) as evaluation_count,
        coalesce(ai.suggestion_count, 0) as suggestion_count,
        coalesce(ai.rejected_suggestion_count, 0) as rejected_suggestion_count,
        coalesce(ai.required_trigger_count, 0) > 0 as requires_escalation,
        case
            when ai.ticket_id is null then 'human_only'
            when ai.is_autonomously_resolved then 'autonomous'
            when ai.is_handed_off or ai.is_taken_over then 'escalated'
            when ai.autonomy_mode = 'suggest' or coalesce(ai.suggestion_count, 0) > 0 then 'suggested'
            else 'ai_assisted'
        end as handling_mode
    from tickets
    left join ai on ai.ticket_id = tickets.ticket_id
    left join policy on policy.case_type = tickets.case_type
)

select * from final
