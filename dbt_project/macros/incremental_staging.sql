{#-
  Incremental staging tables on DuckDB (stg_agent_logs__events, stg_tickets__snapshots).

  A staging row depends on its raw row alone, so a build derives only the raw rows the table does not
  hold with the same row hash (new files, rows an erasure amended) and, after it, drops the rows whose
  raw row is gone or has changed. What it cannot see is a change of logic: each model passes a
  fingerprint (the rendered SQL of its logic, see e.g. agent_log_events_fingerprint) that is kept in
  the table's comment, and a build under another fingerprint derives every row again. On Spark the
  models stay views and these macros do nothing.
-#}

{# the fingerprint the table was built with (none before its first build, or on another engine) #}
{% macro staging_built_with(relation) -%}
    {%- if not execute or target.type != 'duckdb' %}{{ return(none) }}{% endif %}
    {%- set found = run_query(
        "select comment from duckdb_tables() where database_name = '" ~ relation.database
        ~ "' and schema_name = '" ~ relation.schema ~ "' and table_name = '" ~ relation.identifier ~ "'"
    ) %}
    {{ return(found.columns[0].values() | first if found.rows | length else none) }}
{%- endmacro %}

{#
  After each build on DuckDB: drop the rows whose raw row is gone or has changed (an erasure deletes or
  amends raw rows). A table just created (first build, full refresh) has no fingerprint yet and nothing
  to drop. `keys`: the columns besides the row hash that the staging row shares with its raw row.

  The build has just inserted every raw row the table did not hold with its row hash, and an amended
  row replaced its old version by the model's unique key, so the table now holds each raw row; when it
  holds no more rows than raw has, it holds nothing else and the search for rows to drop (a scan of both
  tables) is skipped. This rests on the unique key being unique in raw, which the model's unique test
  checks: were it not, that test fails the build.
#}
{% macro staging_prune(relation, raw_relation, keys=[]) -%}
    {%- if target.type == 'duckdb' and trustloop.staging_built_with(relation) is not none
        and trustloop.staging_surplus(relation, raw_relation) %}
    delete from {{ relation }} t
    where not exists (
        select 1 from {{ raw_relation }} r
        where r._row_hash = t.row_hash{% for key in keys %} and r.{{ key }} = t.{{ key }}{% endfor %}
    )
    {%- endif %}
{%- endmacro %}

{# does the table hold more rows than its raw table (so some must go)? #}
{% macro staging_surplus(relation, raw_relation) -%}
    {%- set counts = run_query(
        "select (select count(*) from " ~ relation ~ ") > (select count(*) from " ~ raw_relation ~ ")"
    ) %}
    {{ return(counts.columns[0].values() | first) }}
{%- endmacro %}

{# record the logic the table now holds #}
{% macro staging_record_logic(relation, fingerprint) -%}
    {%- if target.type == 'duckdb' %}
    comment on table {{ relation }} is '{{ fingerprint }}'
    {%- endif %}
{%- endmacro %}
