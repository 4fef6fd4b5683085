-- One row per distinct ticket snapshot, as delivered (the logic is in
-- macros/ticket_snapshots.sql, the incremental build in
-- macros/incremental_staging.sql).
--
-- On DuckDB an incremental table, not a view, for the same reason as the
-- agent-log events: redacting PII in every snapshot's subject and description
-- was most of the cost of int_tickets__current on each build. A build derives
-- only the raw rows it does not hold with their row hash (the snapshot's
-- identity: new files, rows an erasure amended), then drops the rows whose raw
-- row is gone; a change of logic derives every row again. On Spark, a view.
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'view'),
    unique_key='row_hash',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook=[
        "{{ trustloop.staging_prune(this, source('raw', 'tickets')) }}",
        "{{ trustloop.staging_record_logic(this, trustloop.ticket_snapshots_fingerprint()) }}",
    ],
) }}

{%- set same_logic = is_incremental()
    and trustloop.staging_built_with(this) == trustloop.ticket_snapshots_fingerprint() %}

with
{%- if same_logic %}
-- the raw rows this table does not hold: found on the narrow row-hash column first
changed as (
    select raw_keys._row_hash
    from {{ source('raw', 'tickets') }} as raw_keys
    anti join {{ this }} as held on held.row_hash = raw_keys._row_hash
),
{%- endif %}

source as (
    select * from {{ source('raw', 'tickets') }} as raw_tickets
    {%- if same_logic %}
    semi join changed on changed._row_hash = raw_tickets._row_hash
    {%- endif %}
),

final as (
    select
        {{ trustloop.ticket_snapshot_columns() }}
    from source
)

select * from final
