{#-
  The logic of staging.stg_tickets__snapshots, in a macro so that the model can fingerprint it (it is
  incremental on DuckDB, see macros/incremental_staging.sql): a change here, or in a macro it calls
  such as the PII rules of redact_pii, re-derives every row.
-#}

{# the model's columns, from a raw.tickets row #}
{% macro ticket_snapshot_columns() -%}
        ticket_id,
        updated_at,
        created_at,
        channel,
        case_type,
        priority,
        customer_id,
        status,
        solved_at,
        {{ trustloop.redact_pii("subject") }} as subject,
        {{ trustloop.redact_pii("description") }} as description,
        amount_at_stake,
        csat_score,
        reopened_count,
        disputed_at,
        dispute_outcome,
        _file as source_file,
        _line as source_line,
        _row_hash as row_hash
{%- endmacro %}

{# what identifies the logic: the rendered SQL of the macro above #}
{% macro ticket_snapshots_fingerprint() -%}
    {{ return('logic:' ~ local_md5(trustloop.ticket_snapshot_columns())) }}
{%- endmacro %}
