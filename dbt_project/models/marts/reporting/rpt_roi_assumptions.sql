-- The assumptions behind the ROI tables, one row per assumption and case type
-- (case_type empty = the default), each with its value and unit: finance's cost
-- assumptions from the policy file's costs section, and the policy's
-- durable-resolution window (the default, and each case type that differs).
-- Every report prints this table.
--
-- raw.policy_costs is written by the raw/policy_costs asset; a warehouse without it (built before the
-- table existed, or an empty one for unit tests) builds with no cost assumptions instead of failing.
{% set costs_source = source('raw_finance', 'policy_costs') %}
{% set costs_exist = (not execute) or (
        adapter.get_relation(costs_source.database, costs_source.schema, costs_source.identifier) is not none) %}
with costs as (
    {% if costs_exist -%}
    select * from {{ costs_source }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as policy_version,
        cast(null as {{ dbt.type_string() }}) as name,
        cast(null as {{ dbt.type_string() }}) as case_type,
        cast(null as double) as value,
        cast(null as {{ dbt.type_string() }}) as unit,
        cast(null as {{ dbt.type_string() }}) as currency,
        cast(null as {{ dbt.type_string() }}) as description
    where 1 = 0
    {%- endif %}
),

defaults as (
    select * from {{ ref('stg_policy__defaults') }}
),

case_types as (
    select * from {{ ref('int_case_types__policy') }}
),

cost_rows as (
    select
        name,
        case_type,
        {{ money('value') }} as value,
        unit,
        currency,
        description,
        'costs' as policy_section,
        policy_version
    from costs
),

window_rows as (
    select
        'durable_window_days' as name,
        cast(null as {{ dbt.type_string() }}) as case_type,
        {{ money('defaults.durable_window_days') }} as value,
        'days after the autonomous resolution' as unit,
        cast(null as {{ dbt.type_string() }}) as currency,
        'An autonomous resolution is durable when not reopened and not disputed within this window.'
            as description,
        'defaults' as policy_section,
        defaults.policy_version
    from defaults
    union all
    select
        'durable_window_days',
        case_types.case_type,
        {{ money('case_types.durable_window_days') }},
        'days after the autonomous resolution',
        cast(null as {{ dbt.type_string() }}),
        'The case type''s own durable-resolution window.',
        'case_types',
        defaults.policy_version
    from case_types
    cross join defaults
    where case_types.durable_window_days <> defaults.durable_window_days
),

unioned as (
    select * from cost_rows
    union all
    select * from window_rows
),

final as (
    select
        {{ dbt.concat(["name", "':'", "coalesce(case_type, '(default)')"]) }} as assumption_key,
        name,
        case_type,
        value,
        unit,
        currency,
        description,
        policy_section,
        policy_version
    from unioned
)

select * from final
