-- What each AI agent handles: one row per agent and case type, with the case
-- type's autonomy tier in the policy catalog and the mode the agent was
-- observed in most often. The trust lookup shows it beside the Score (and
-- prefers the current tier of the autonomy recommendations when they exist).
{%- set window_weeks = var('evidence_window_weeks', 8) | int %}

with cases as (
    select * from {{ ref('fct_cases') }}
    where is_ai_handled
),

policy as (
    select case_type, is_catalogued, catalog_tier, policy_version
    from {{ ref('int_case_types__policy') }}
),

last_week as (
    select max({{ week_start('assigned_at') }}) as week_start from cases
),

counts as (
    select
        cases.agent_id,
        cases.case_type,
        cast(count(*) as bigint) as handled_cases,
        cast(sum(case when {{ week_start('cases.assigned_at') }}
                >= cast({{ dbt.dateadd('day', -7 * (window_weeks - 1), 'last_week.week_start') }} as date)
                then 1
            else 0
        end) as bigint) as handled_cases_window,
        cast(sum(case when cases.is_autonomously_resolved then 1 else 0 end) as bigint) as autonomous_resolutions,
        cast(sum(case when cases.is_handed_off or cases.is_taken_over then 1 else 0 end) as bigint) as escalated_cases,
        min(cases.assigned_at) as first_assigned_at,
        max(cases.assigned_at) as last_assigned_at
    from cases
    cross join last_week
    group by cases.agent_id, cases.case_type
),

modes as (
    select
        agent_id,
        case_type,
        autonomy_mode,
        row_number() over (
            partition by agent_id, case_type order by count(*) desc, autonomy_mode
        ) as mode_rank
    from cases
    where autonomy_mode is not null
    group by agent_id, case_type, autonomy_mode
),

final as (
    select
        counts.agent_id || '|' || counts.case_type as agent_case_type_key,
        counts.agent_id,
        counts.case_type,
        coalesce(policy.is_catalogued, false) as is_catalogued_case_type,
        policy.catalog_tier,
        modes.autonomy_mode as observed_mode,
        policy.policy_version,
        counts.handled_cases,
        counts.handled_cases_window,
        counts.autonomous_resolutions,
        counts.escalated_cases,
        counts.first_assigned_at,
        counts.last_assigned_at
    from counts
    left join policy on policy.case_type = counts.case_type
    left join modes
        on modes.agent_id = counts.agent_id and modes.case_type = counts.case_type and modes.mode_rank = 1
)

select * from final
