-- One row per agent-log event, with the contract's attributes as columns.
with source as (
    select * from {{ source('raw', 'agent_logs') }}
),

final as (
    select
        event_id,
        ticket_id,
        occurred_at,
        actor_type,
        actor_id,
        event_type,
        event_type in (
            'case_assigned', 'customer_message', 'message_sent', 'action_taken',
            'suggestion_made', 'suggestion_reviewed', 'escalation_trigger',
            'handoff_to_human', 'human_takeover', 'case_resolved', 'evaluation'
        ) as is_known_event_type,
        agent_version,
        autonomy_mode,
        confidence,
        policy_version,
        {{ redact_pii("attributes") }} as attributes,
        lower(trim({{ json_str('attributes', 'mode') }})) as attr_mode,
        {{ json_number('attributes', 'sentiment') }} as attr_sentiment,
        {{ json_bool('attributes', 'requested_human') }} as attr_requested_human,
        {{ json_str('attributes', 'action') }} as attr_action,
        {{ json_number('attributes', 'amount') }} as attr_amount,
        {{ json_str('attributes', 'suggestion_id') }} as attr_suggestion_id,
        lower(trim({{ json_str('attributes', 'verdict') }})) as attr_verdict,
        lower(trim({{ json_str('attributes', 'reason') }})) as attr_reason,
        {{ json_bool('attributes', 'required') }} as attr_required,
        {{ json_str('attributes', 'queue') }} as attr_queue,
        {{ json_str('attributes', 'resolution_code') }} as attr_resolution_code,
        lower(trim({{ json_str('attributes', 'dimension') }})) as attr_dimension,
        {{ json_bool('attributes', 'passed') }} as attr_passed,
        {{ json_number('attributes', 'score') }} as attr_score,
        lower(trim({{ json_str('attributes', 'evaluator') }})) as attr_evaluator,
        {{ json_str('attributes', 'pact_id') }} as attr_pact_id,
        _file as source_file,
        _line as source_line,
        _row_hash as row_hash
    from source
)

select * from final
