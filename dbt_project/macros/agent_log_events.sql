{#-
  The logic of staging.stg_agent_logs__events, in macros so that the model can
  fingerprint it. On DuckDB the model is incremental (see the model): it keeps
  the fingerprint of the logic that built its rows in its table comment, and a
  change of logic (here, or in a macro these call, such as the PII rules of
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
        lower(trim({{ attr['mode'] }})) as attr_mode,
        {{ trustloop.safe_double(attr['sentiment']) }} as attr_sentiment,
        {{ trustloop.text_bool(attr['requested_human']) }} as attr_requested_human,
        {{ attr['action'] }} as attr_action,
        {{ trustloop.safe_double(attr['amount']) }} as attr_amount,
        {{ attr['suggestion_id'] }} as attr_suggestion_id,
        lower(trim({{ attr['verdict'] }})) as attr_verdict,
        lower(trim({{ attr['reason'] }})) as attr_reason,
        {{ trustloop.text_bool(attr['required']) }} as attr_required,
        {{ attr['queue'] }} as attr_queue,
        {{ attr['resolution_code'] }} as attr_resolution_code,
        lower(trim({{ attr['dimension'] }})) as attr_dimension,
        {{ trustloop.text_bool(attr['passed']) }} as attr_passed,
        {{ trustloop.safe_double(attr['score']) }} as attr_score,
        lower(trim({{ attr['evaluator'] }})) as attr_evaluator,
        {{ attr['pact_id'] }} as attr_pact_id,
        _file as source_file,
        _line as source_line,
        _row_hash as row_hash
{%- endmacro %}

{# what identifies the logic: the rendered SQL of the two macros above #}
{% macro agent_log_events_fingerprint() -%}
    {{ return('logic:' ~ local_md5(trustloop.agent_log_attr_fields() ~ trustloop.agent_log_event_columns())) }}
{%- endmacro %}

{# the fingerprint the table was built with (none before its first build, or on another engine) #}
{% macro agent_log_events_built_with(relation) -%}
    {%- if not execute or target.type != 'duckdb' %}{{ return(none) }}{% endif %}
    {%- set found = run_query(
        "select comment from duckdb_tables() where database_name = '" ~ relation.database
        ~ "' and schema_name = '" ~ relation.schema ~ "' and table_name = '" ~ relation.identifier ~ "'"
    ) %}
    {{ return(found.columns[0].values() | first if found.rows | length else none) }}
{%- endmacro %}

{#
  After each build on DuckDB: drop the rows whose raw row is gone or has changed (an erasure deletes or
  amends raw rows), then record the logic the table now holds. A table just created (first build, full
  refresh) has no fingerprint yet and nothing to drop.

  The build has just inserted every raw row the table did not hold with its row hash, so the table now
  holds each raw row; when it holds no more rows than raw has, it holds nothing else and the search for
  rows to drop (a scan of both tables) is skipped. This rests on raw event ids being unique, which the
  model's unique test checks: were they not, that test fails the build.
#}
{% macro agent_log_events_prune(relation) -%}
    {%- if target.type == 'duckdb' and trustloop.agent_log_events_built_with(relation) is not none
        and trustloop.agent_log_events_surplus(relation) %}
    delete from {{ relation }} t
    where not exists (
        select 1 from {{ source('raw', 'agent_logs') }} r where r.event_id = t.event_id and r._row_hash = t.row_hash
    )
    {%- endif %}
{%- endmacro %}

{# does the table hold more rows than raw.agent_logs (so some must go)? #}
{% macro agent_log_events_surplus(relation) -%}
    {%- set counts = run_query(
        "select (select count(*) from " ~ relation ~ ") > (select count(*) from " ~ source('raw', 'agent_logs') ~ ")"
    ) %}
    {{ return(counts.columns[0].values() | first) }}
{%- endmacro %}

{% macro agent_log_events_record_logic(relation) -%}
    {%- if target.type == 'duckdb' %}
    comment on table {{ relation }} is '{{ trustloop.agent_log_events_fingerprint() }}'
    {%- endif %}
{%- endmacro %}
