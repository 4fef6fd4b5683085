-- Autonomously resolved cases (the dispute-rate denominator) and their disputes.
with cases as (
    select * from {{ ref('int_cases__ai_handling') }}
    where is_autonomously_resolved
),

final as (
    select
        ticket_id,
        case_type,
        agent_id,
        agent_version,
        autonomy_mode,
        first_ai_resolution_at as resolved_at,
        {{ week_start('first_ai_resolution_at') }} as resolved_week,
        disputed_at,
        dispute_outcome,
        disputed_at is not null as is_disputed,
        coalesce(disputed_at is not null and dispute_outcome = 'upheld', false) as is_dispute_upheld,
        evaluation_count > 0 as has_evaluation,
        reopened_count
    from cases
)

select * from final
