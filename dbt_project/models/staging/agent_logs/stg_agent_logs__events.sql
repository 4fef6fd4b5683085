-- One row per agent-log event, with the contract's attributes as columns.
{%- set keys = ['mode', 'sentiment', 'requested_human', 'action', 'amount', 'suggestion_id', 'verdict', 'reason', 'required', 'queue', 'resolution_code', 'dimension', 'passed', 'score', 'evaluator', 'pact_id'] %}
{%- set attr = {} %}
{%- for key in keys %}{% do attr.update({key: json_field('attr_fields', 'attributes', keys, key)}) %}{% endfor %}

with source as (
    -- the attributes are parsed once for all the keys read below
    select *, {{ json_fields('attributes', keys) }} as attr_fields
    from {{ source('raw', 'agent_logs') }}
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
        lower(trim({{ attr['mode'] }})) as attr_mode,
        {{ safe_double(attr['sentiment']) }} as attr_sentiment,
        {{ text_bool(attr['requested_human']) }} as attr_requested_human,
        {{ attr['action'] }} as attr_action,
        {{ safe_double(attr['amount']) }} as attr_amount,
        {{ attr['suggestion_id'] }} as attr_suggestion_id,
        lower(trim({{ attr['verdict'] }})) as attr_verdict,
        lower(trim({{ attr['reason'] }})) as attr_reason,
        {{ text_bool(attr['required']) }} as attr_required,
        {{ attr['queue'] }} as attr_queue,
        {{ attr['resolution_code'] }} as attr_resolution_code,
        lower(trim({{ attr['dimension'] }})) as attr_dimension,
        {{ text_bool(attr['passed']) }} as attr_passed,
        {{ safe_double(attr['score']) }} as attr_score,
        lower(trim({{ attr['evaluator'] }})) as attr_evaluator,
        {{ attr['pact_id'] }} as attr_pact_id,
        _file as source_file,
        _line as source_line,
        _row_hash as row_hash
    from source
)

select * from final
