-- ROI per case type and calendar month (of the case's created_at): cases by
-- handling mode, their cost under the policy's assumptions plus the
-- remediation cost of the AI's incidents (month of detected_at), the all-human
-- baseline, savings, ROI, and durable resolutions with their unit cost.
-- Incidents count when an AI agent was involved (agent_id set); one without a
-- case type is shown under case_type '(unattributed)'.
with cases as (
    select * from {{ ref('rpt_roi_cases') }}
),

incidents as (
    select * from {{ ref('fct_incidents') }}
    where agent_id is not null
),

currency as (
    select max(currency) as currency from {{ ref('rpt_roi_assumptions') }}
),

case_months as (
    select
        case_type,
        case_month as month_start,
        count(*) as cases_total,
        sum(case when handling_mode = 'autonomous' then 1 else 0 end) as cases_autonomous,
        sum(case when handling_mode = 'suggested' then 1 else 0 end) as cases_suggested,
        sum(case when handling_mode = 'escalated' then 1 else 0 end) as cases_escalated,
        sum(case when handling_mode = 'ai_assisted' then 1 else 0 end) as cases_ai_assisted,
        sum(case when handling_mode = 'human_only' then 1 else 0 end) as cases_human_only,
        sum(case when is_ai_handled then 1 else 0 end) as cases_ai_handled,
        sum(case when is_ai_handled then suggestion_count else 0 end) as suggestions_reviewed,
        sum(case when is_disputed then 1 else 0 end) as disputed_cases,
        sum(ai_cost) as ai_cost,
        sum(review_cost) as review_cost,
        sum(human_cost) as human_cost,
        sum(dispute_cost) as dispute_cost,
        sum(baseline_cost) as baseline_cost,
        sum(case when handling_mode = 'autonomous' then ai_cost + dispute_cost else {{ money(0) }} end)
            as autonomous_case_cost,
        sum(case when is_autonomously_resolved then 1 else 0 end) as autonomous_resolutions,
        sum(case when durability_status = 'durable' then 1 else 0 end) as durable_resolutions,
        sum(case when durability_status = 'reopened' then 1 else 0 end) as reopened_resolutions,
        sum(case when durability_status = 'disputed' then 1 else 0 end) as disputed_resolutions,
        sum(case when durability_status = 'pending' then 1 else 0 end) as pending_resolutions
    from cases
    group by case_type, case_month
),

incident_months as (
    select
        coalesce(case_type, '(unattributed)') as case_type,
        detected_month as month_start,
        count(*) as incidents,
        sum(case when remediation_cost is null then 1 else 0 end) as incidents_without_cost,
        sum({{ money('coalesce(remediation_cost, 0)') }}) as incident_remediation_cost
    from incidents
    group by coalesce(case_type, '(unattributed)'), detected_month
),

spine as (
    select case_type, month_start from case_months
    union
    select case_type, month_start from incident_months
),

joined as (
    select
        spine.case_type,
        spine.month_start,
        currency.currency,
        cast(coalesce(case_months.cases_total, 0) as {{ dbt.type_bigint() }}) as cases_total,
        cast(coalesce(case_months.cases_autonomous, 0) as {{ dbt.type_bigint() }}) as cases_autonomous,
        cast(coalesce(case_months.cases_suggested, 0) as {{ dbt.type_bigint() }}) as cases_suggested,
        cast(coalesce(case_months.cases_escalated, 0) as {{ dbt.type_bigint() }}) as cases_escalated,
        cast(coalesce(case_months.cases_ai_assisted, 0) as {{ dbt.type_bigint() }}) as cases_ai_assisted,
        cast(coalesce(case_months.cases_human_only, 0) as {{ dbt.type_bigint() }}) as cases_human_only,
        cast(coalesce(case_months.cases_ai_handled, 0) as {{ dbt.type_bigint() }}) as cases_ai_handled,
        cast(coalesce(case_months.suggestions_reviewed, 0) as {{ dbt.type_bigint() }}) as suggestions_reviewed,
        cast(coalesce(case_months.disputed_cases, 0) as {{ dbt.type_bigint() }}) as disputed_cases,
        cast(coalesce(incident_months.incidents, 0) as {{ dbt.type_bigint() }}) as incidents,
        cast(coalesce(incident_months.incidents_without_cost, 0) as {{ dbt.type_bigint() }}) as incidents_without_cost,
        coalesce(case_months.ai_cost, {{ money(0) }}) as ai_cost,
        coalesce(case_months.review_cost, {{ money(0) }}) as review_cost,
        coalesce(case_months.human_cost, {{ money(0) }}) as human_cost,
        coalesce(case_months.dispute_cost, {{ money(0) }}) as dispute_cost,
        coalesce(incident_months.incident_remediation_cost, {{ money(0) }}) as incident_remediation_cost,
        coalesce(case_months.baseline_cost, {{ money(0) }}) as baseline_cost,
        coalesce(case_months.autonomous_case_cost, {{ money(0) }}) as autonomous_case_cost,
        cast(coalesce(case_months.autonomous_resolutions, 0) as {{ dbt.type_bigint() }}) as autonomous_resolutions,
        cast(coalesce(case_months.durable_resolutions, 0) as {{ dbt.type_bigint() }}) as durable_resolutions,
        cast(coalesce(case_months.reopened_resolutions, 0) as {{ dbt.type_bigint() }}) as reopened_resolutions,
        cast(coalesce(case_months.disputed_resolutions, 0) as {{ dbt.type_bigint() }}) as disputed_resolutions,
        cast(coalesce(case_months.pending_resolutions, 0) as {{ dbt.type_bigint() }}) as pending_resolutions
    from spine
    cross join currency
    left join case_months
        on case_months.case_type = spine.case_type and case_months.month_start = spine.month_start
    left join incident_months
        on incident_months.case_type = spine.case_type and incident_months.month_start = spine.month_start
),

sums as (
    select
        *,
        ai_cost + review_cost + human_cost + dispute_cost + incident_remediation_cost as total_cost,
        ai_cost + review_cost as ai_operating_cost,
        autonomous_case_cost + incident_remediation_cost as autonomous_handling_cost
    from joined
),

final as (
    select
        {{ dbt.concat(["case_type", "'|'", dbt.cast("month_start", dbt.type_string())]) }} as roi_key,
        case_type,
        month_start,
        currency,
        cases_total,
        cases_autonomous,
        cases_suggested,
        cases_escalated,
        cases_ai_assisted,
        cases_human_only,
        cases_ai_handled,
        suggestions_reviewed,
        disputed_cases,
        incidents,
        incidents_without_cost,
        ai_cost,
        review_cost,
        human_cost,
        dispute_cost,
        incident_remediation_cost,
        total_cost,
        baseline_cost,
        ai_operating_cost,
        autonomous_resolutions,
        durable_resolutions,
        reopened_resolutions,
        disputed_resolutions,
        pending_resolutions,
        autonomous_handling_cost,
        {{ roi_derived_columns() }}
    from sums
)

select * from final
