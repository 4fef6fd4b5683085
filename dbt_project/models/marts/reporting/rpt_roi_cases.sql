-- Every case with its cost under the policy's assumptions and under the
-- all-human baseline, and whether its autonomous resolution was durable: the
-- case-level rows that rpt_roi_monthly adds up (so every ROI figure can be
-- traced to cases).
--
-- Cost of a case by handling mode (fct_cases.handling_mode):
--   autonomous   AI cost
--   suggested    AI cost + review cost per drafted suggestion; plus the human
--                cost when a draft was rejected or none was made (a person
--                wrote the answer)
--   escalated    AI cost + human cost (the AI worked, then a person handled it)
--   ai_assisted  AI cost + human cost (shadow/triage: the AI ran, a person handled it)
--   human_only   human cost
-- plus the dispute cost for a disputed case. The baseline is the human cost of
-- every case, plus the dispute cost of disputed human-only cases (those
-- disputes happen either way; disputes of AI-handled cases are charged to the AI).
--
-- Durable resolution: an autonomous resolution that is not reopened and not
-- disputed within the policy's window (durable_window_days after the
-- resolution). The landing data only carries reopened_count on the current
-- snapshot, not when a reopen happened, so any reopen counts as within the
-- window. A resolution whose window has not elapsed by the data's horizon
-- (the latest ticket snapshot) is 'pending', neither durable nor failed.
with cases as (
    select * from {{ ref('fct_cases') }}
),

assumptions as (
    select * from {{ ref('rpt_roi_assumptions') }}
    where policy_section = 'costs'
),

case_types as (
    select case_type, durable_window_days from {{ ref('int_case_types__policy') }}
),

default_costs as (
    select
        {% for name in roi_cost_names() -%}
        max(case when name = '{{ name }}' then value end) as {{ name }},
        {% endfor -%}
        max(currency) as currency
    from assumptions
    where case_type is null
),

case_type_costs as (
    select
        {% for name in roi_cost_names() -%}
        max(case when name = '{{ name }}' then value end) as {{ name }},
        {% endfor -%}
        case_type
    from assumptions
    where case_type is not null
    group by case_type
),

-- the latest snapshot, leaving out snapshots dated after the build (a mistyped year would make every
-- resolution durable at once)
horizon as (
    select {{ trustloop.credible_max('updated_at') }} as data_as_of from cases
),

priced as (
    select
        cases.ticket_id,
        cases.case_type,
        {{ month_start('cases.created_at') }} as case_month,
        cases.handling_mode,
        cases.is_ai_handled,
        cases.agent_id,
        cases.suggestion_count,
        cases.rejected_suggestion_count,
        cases.disputed_at is not null as is_disputed,
        cases.disputed_at,
        cases.reopened_count,
        cases.is_autonomously_resolved,
        cases.resolution_at,
        case_types.durable_window_days,
        horizon.data_as_of,
        default_costs.currency,
        coalesce(case_type_costs.ai_cost_per_case, default_costs.ai_cost_per_case) as ai_cost_per_case,
        coalesce(case_type_costs.human_cost_per_case, default_costs.human_cost_per_case) as human_cost_per_case,
        coalesce(case_type_costs.review_cost_per_suggestion, default_costs.review_cost_per_suggestion)
            as review_cost_per_suggestion,
        coalesce(case_type_costs.dispute_cost, default_costs.dispute_cost) as dispute_cost_per_dispute,
        (
            cases.handling_mode in ('human_only', 'escalated', 'ai_assisted')
            or (
                cases.handling_mode = 'suggested'
                and (cases.suggestion_count = 0 or cases.rejected_suggestion_count > 0)
            )
        ) as is_human_handled
    from cases
    cross join default_costs
    cross join horizon
    left join case_type_costs on case_type_costs.case_type = cases.case_type
    left join case_types on case_types.case_type = cases.case_type
),

costed as (
    select
        *,
        case when is_ai_handled then ai_cost_per_case else {{ money(0) }} end as ai_cost,
        case when is_ai_handled then review_cost_per_suggestion * suggestion_count else {{ money(0) }} end
            as review_cost,
        case when is_human_handled then human_cost_per_case else {{ money(0) }} end as human_cost,
        case when is_disputed then dispute_cost_per_dispute else {{ money(0) }} end as dispute_cost,
        human_cost_per_case
        + case when is_disputed and handling_mode = 'human_only' then dispute_cost_per_dispute else {{ money(0) }} end
            as baseline_cost,
        case
            when is_autonomously_resolved
                then {{ dbt.dateadd('day', 'durable_window_days', 'resolution_at') }}
        end as durable_until
    from priced
),

final as (
    select
        ticket_id,
        case_type,
        case_month,
        handling_mode,
        is_ai_handled,
        is_human_handled,
        agent_id,
        suggestion_count,
        rejected_suggestion_count,
        is_disputed,
        reopened_count,
        currency,
        ai_cost,
        review_cost,
        human_cost,
        dispute_cost,
        ai_cost + review_cost + human_cost + dispute_cost as total_cost,
        baseline_cost,
        is_autonomously_resolved,
        resolution_at,
        durable_window_days,
        durable_until,
        data_as_of,
        case
            when not is_autonomously_resolved then null
            when coalesce(reopened_count, 0) > 0 then 'reopened'
            when disputed_at is not null and disputed_at <= durable_until then 'disputed'
            when durable_until <= data_as_of then 'durable'
            else 'pending'
        end as durability_status,
        coalesce(
            is_autonomously_resolved and coalesce(reopened_count, 0) = 0
            and not coalesce(disputed_at <= durable_until, false)
            and durable_until <= data_as_of,
            false
        ) as is_durable_resolution
    from costed
)

select * from final
