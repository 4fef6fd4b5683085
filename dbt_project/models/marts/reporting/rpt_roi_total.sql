-- ROI over the whole history: one row per case type (including
-- '(unattributed)' incidents) and one row '(total)' for everything. Sums of
-- rpt_roi_monthly; the ratios are recomputed from the sums, never averaged.
{%- set additive_columns = [
    'cases_total', 'cases_autonomous', 'cases_suggested', 'cases_escalated', 'cases_ai_assisted',
    'cases_human_only', 'cases_ai_handled', 'suggestions_reviewed', 'disputed_cases', 'incidents',
    'incidents_without_cost', 'ai_cost', 'review_cost', 'human_cost', 'dispute_cost',
    'incident_remediation_cost', 'total_cost', 'baseline_cost', 'ai_operating_cost',
    'autonomous_resolutions', 'durable_resolutions', 'reopened_resolutions', 'disputed_resolutions',
    'pending_resolutions', 'autonomous_handling_cost'
] %}
with monthly as (
    select * from {{ ref('rpt_roi_monthly') }}
),

by_case_type as (
    select
        case_type,
        min(month_start) as first_month,
        max(month_start) as last_month,
        cast(count(distinct month_start) as {{ dbt.type_bigint() }}) as months,
        {% for column in additive_columns -%}
        {% if column.endswith('_cost') -%}
        sum({{ column }}) as {{ column }},
        {% else -%}
        cast(sum({{ column }}) as {{ dbt.type_bigint() }}) as {{ column }},
        {% endif -%}
        {% endfor -%}
        max(currency) as currency
    from monthly
    group by case_type
),

overall as (
    select
        '(total)' as case_type,
        min(month_start) as first_month,
        max(month_start) as last_month,
        cast(count(distinct month_start) as {{ dbt.type_bigint() }}) as months,
        {% for column in additive_columns -%}
        {% if column.endswith('_cost') -%}
        sum({{ column }}) as {{ column }},
        {% else -%}
        cast(sum({{ column }}) as {{ dbt.type_bigint() }}) as {{ column }},
        {% endif -%}
        {% endfor -%}
        max(currency) as currency
    from monthly
),

unioned as (
    select * from by_case_type
    union all
    select * from overall
    where months > 0
),

final as (
    select
        case_type,
        case_type = '(total)' as is_total,
        first_month,
        last_month,
        months,
        currency,
        {% for column in additive_columns -%}
        {{ column }},
        {% endfor -%}
        {{ roi_derived_columns() }}
    from unioned
)

select * from final
