{#-
  The logic of staging.stg_agent_logs__events, in macros so that the model can
  fingerprint it. On DuckDB the model is incremental (macros/incremental_staging.sql):
  it keeps the fingerprint of the logic that built its rows in its table comment,
  and a change of logic (here, or in a macro these call, such as the PII rules of
  redact_pii) re-derives every row.
-#}

{% macro agent_log_event_keys() -%}
    {{ return(['mode', 'sentiment', 'requested_human', 'action', 'amount', 'suggestion_id', 'verdict', 'reason',
               'required', 'queue', 'resolution_code', 'dimension', 'passed', 'score', 'evaluator', 'pact_id']) }}
{%- endmacro %}

{# the attributes parsed once, for all the keys read by agent_log_event_columns() #}
{% macro agent_log_attr_fields() -%}
    {{ trustloop.json_fields('attributes', trustloop.agent_log_event_keys()) }}
{%- endmacro %}

{# the model's columns, from a raw row and its parsed attributes (attr_fields) #}
{% macro agent_log_event_columns() -%}
{%- set keys = trustloop.agent_log_event_keys() %}
{%- set attr = {} %}
{%- for key in keys %}{% do attr.update({key: trustloop.json_field('attr_fields', 'attributes', keys, key)}) %}{% endfor %}
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
        {{ trustloop.redact_pii("attributes") }} as attributes,
        {{ trustloop.text_enum(attr['mode']) }} as attr_mode,
        {{ trustloop.text_number(attr['sentiment']) }} as attr_sentiment,
        {{ trustloop.text_bool(attr['requested_human']) }} as attr_requested_human,
        {{ attr['action'] }} as attr_action,
        {{ trustloop.text_number(attr['amount']) }} as attr_amount,
        {{ attr['suggestion_id'] }} as attr_suggestion_id,
        {{ trustloop.text_enum(attr['verdict']) }} as attr_verdict,
        {{ trustloop.text_enum(attr['reason']) }} as attr_reason,
        {{ trustloop.text_bool(attr['required']) }} as attr_required,
        {{ attr['queue'] }} as attr_queue,
        {{ attr['resolution_code'] }} as attr_resolution_code,
        {{ trustloop.text_enum(attr['dimension']) }} as attr_dimension,
        {{ trustloop.text_bool(attr['passed']) }} as attr_passed,
        {{ trustloop.text_number(attr['score']) }} as attr_score,
        {{ trustloop.text_enum(attr['evaluator']) }} as attr_evaluator,
        {{ attr['pact_id'] }} as attr_pact_id,
        _file as source_file,
        _line as source_line,
        _row_hash as row_hash
{%- endmacro %}

{# what identifies the logic: the rendered SQL of the two macros above #}
{% macro agent_log_events_fingerprint() -%}
    {{ return('logic:' ~ local_md5(trustloop.agent_log_attr_fields() ~ trustloop.agent_log_event_columns())) }}
{%- endmacro %}
