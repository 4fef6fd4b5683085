{#-
  register_parquet_sources(): on Spark, make every dbt source an external table
  over its Parquet export, so that source('raw', 'tickets') reads the rows the
  ingestion wrote (trustloop/spark.py exports each source table of the DuckDB
  warehouse to <TRUSTLOOP_SPARK_SOURCES_DIR>/<schema>/<table>/).

  Runs at the start of every dbt invocation (on-run-start in dbt_project.yml).
  Does nothing on DuckDB, nor on Spark/Databricks when TRUSTLOOP_SPARK_SOURCES_DIR
  is not set (a cluster whose sources already are tables of its catalog). The
  folder may be any location Spark reads (a path, s3://..., abfss://...). Dropping an
  external table never deletes its files; re-registering on every run picks up
  a new export and its schema.
-#}
{% macro register_parquet_sources() -%}
    {%- set root = env_var('TRUSTLOOP_SPARK_SOURCES_DIR', '') -%}
    {%- if execute and target.type in ('spark', 'databricks') and root -%}
        {%- set registered = [] -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- set relation = source.schema ~ '.' ~ source.identifier -%}
            {%- if relation not in registered -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- do run_query('drop table if exists ' ~ relation) -%}
                {%- do run_query(
                    'create table ' ~ relation ~ " using parquet location '"
                    ~ root ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'"
                ) -%}
                {%- do registered.append(relation) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do log('registered ' ~ (registered | length) ~ ' sources over Parquet in ' ~ root, info=true) -%}
    {%- endif -%}
{%- endmacro %}
