-- The evidence behind each autonomy decision: one row per case type, over
-- the trailing window ending at the as-of date (metrics.md section 4).
-- Pact pass rates (per dimension, over the pact's window), escalation
-- compliance, dispute rate, evidence volume and evaluation coverage carry
-- their Wilson 95 % bounds; sev1/sev2 incidents are counted over the freeze
-- window; the current tier is the catalog's, else the mode observed in the
-- logs. No rule is applied here (see rpt_autonomy_recommendations).
{%- set dimensions = ['accuracy', 'escalation', 'tone', 'policy_adherence'] %}
{%- set tiers = ['shadow', 'triage', 'suggest', 'resolve'] %}
with windows as (
    select * from {{ ref('dim_autonomy_windows') }}
),

policy as (
    select * from {{ ref('int_case_types__policy') }}
),

pacts as (
    select * from {{ ref('dim_case_type_pacts') }}
),

evaluations as (
    select * from {{ ref('fct_evaluations') }}
    where passed is not null
),

escalations as (
    select * from {{ ref('fct_escalations') }}
),

resolutions as (
    select * from {{ ref('fct_autonomous_resolutions') }}
),

cases as (
    select ticket_id, case_type, autonomy_mode, assigned_at from {{ ref('int_cases__ai_handling') }}
),

incidents as (
    select * from {{ ref('fct_incidents') }}
),

incident_links as (
    select * from {{ ref('stg_incidents__ticket_links') }}
),

current_incidents as (
    select row_hash, incident_id from {{ ref('int_incidents__current') }}
),

tickets as (
    select ticket_id, case_type from {{ ref('int_tickets__current') }}
),

-- pact pass rates: each evaluation event once, in the pact's own window
pact_evidence as (
    select
        pacts.case_type,
        pacts.dimension,
        count(evaluations.event_id) as evaluations,
        sum(case when evaluations.passed then 1 else 0 end) as passed
    from pacts
    inner join windows on windows.case_type = pacts.case_type
    left join evaluations
        on evaluations.case_type = pacts.case_type
        and evaluations.dimension = pacts.dimension
        and evaluations.evaluated_at >= {{ dbt.dateadd('day', '-7 * pacts.window_weeks', 'windows.window_end_at') }}
        and evaluations.evaluated_at < windows.window_end_at
    group by pacts.case_type, pacts.dimension
),

pact_wide as (
    select
        {%- for d in dimensions %}
        max(case when pacts.dimension = '{{ d }}' then pacts.pact_id end) as pact_{{ d }}_id,
        max(case when pacts.dimension = '{{ d }}' then pacts.threshold end) as pact_{{ d }}_threshold,
        max(case when pacts.dimension = '{{ d }}' then pacts.window_weeks end) as pact_{{ d }}_window_weeks,
        max(case when pact_evidence.dimension = '{{ d }}' then pact_evidence.evaluations end) as pact_{{ d }}_evaluations,
        max(case when pact_evidence.dimension = '{{ d }}' then pact_evidence.passed end) as pact_{{ d }}_passed,
        {%- endfor %}
        pact_evidence.case_type
    from pact_evidence
    inner join pacts on pacts.case_type = pact_evidence.case_type and pacts.dimension = pact_evidence.dimension
    group by pact_evidence.case_type
),

window_evaluations as (
    select
        windows.case_type,
        count(distinct evaluations.ticket_id) as evaluated_cases
    from windows
    inner join evaluations
        on evaluations.case_type = windows.case_type
        and evaluations.evaluated_at >= windows.window_start_at
        and evaluations.evaluated_at < windows.window_end_at
    group by windows.case_type
),

window_escalations as (
    select
        windows.case_type,
        count(*) as escalations_required,
        sum(case when escalations.is_compliant then 1 else 0 end) as escalations_compliant
    from windows
    inner join escalations
        on escalations.case_type = windows.case_type
        and escalations.triggered_at >= windows.window_start_at
        and escalations.triggered_at < windows.window_end_at
    group by windows.case_type
),

window_resolutions as (
    select
        windows.case_type,
        count(*) as autonomous_resolutions,
        sum(case when resolutions.is_disputed then 1 else 0 end) as disputed_resolutions,
        sum(case when resolutions.is_dispute_upheld then 1 else 0 end) as upheld_disputes,
        sum(case when resolutions.has_evaluation then 1 else 0 end) as evaluated_resolutions
    from windows
    inner join resolutions
        on resolutions.case_type = windows.case_type
        and resolutions.resolved_at >= windows.window_start_at
        and resolutions.resolved_at < windows.window_end_at
    group by windows.case_type
),

-- the tier observed in the logs: the mode of the AI-handled cases in the
-- window (all history when the window has none); a tie goes to the lower tier
mode_counts as (
    select
        windows.case_type,
        cases.autonomy_mode,
        sum(
            case
                when cases.assigned_at >= windows.window_start_at and cases.assigned_at < windows.window_end_at
                    then 1
                else 0
            end
        ) as cases_in_window,
        count(*) as cases_all_time
    from windows
    inner join cases on cases.case_type = windows.case_type
    where cases.autonomy_mode in ('shadow', 'triage', 'suggest', 'resolve')
    group by windows.case_type, cases.autonomy_mode
),

mode_totals as (
    select
        *,
        sum(cases_in_window) over (partition by case_type) as case_type_cases_in_window
    from mode_counts
),

mode_ranked as (
    select
        case_type,
        autonomy_mode,
        row_number() over (
            partition by case_type
            order by
                case when case_type_cases_in_window > 0 then cases_in_window else cases_all_time end desc,
                case autonomy_mode
                    {%- for t in tiers %} when '{{ t }}' then {{ loop.index0 }}{% endfor %}
                end
        ) as mode_rank
    from mode_totals
),

window_cases as (
    select
        windows.case_type,
        {%- for t in tiers %}
        sum(case when cases.autonomy_mode = '{{ t }}' then 1 else 0 end) as {{ t }}_mode_cases,
        {%- endfor %}
        count(*) as ai_handled_cases
    from windows
    inner join cases
        on cases.case_type = windows.case_type
        and cases.assigned_at >= windows.window_start_at
        and cases.assigned_at < windows.window_end_at
    group by windows.case_type
),

-- an incident belongs to its own case type, else to the case types of its tickets
incident_case_types as (
    select incident_id, case_type from incidents where case_type is not null
    union
    select incidents.incident_id, tickets.case_type
    from incidents
    inner join current_incidents on current_incidents.incident_id = incidents.incident_id
    inner join incident_links on incident_links.row_hash = current_incidents.row_hash
    inner join tickets on tickets.ticket_id = incident_links.ticket_id
    where incidents.case_type is null
),

case_type_incidents as (
    select
        incident_case_types.case_type,
        incidents.incident_id,
        incidents.severity,
        incidents.detected_at,
        incidents.is_open
    from incident_case_types
    inner join incidents on incidents.incident_id = incident_case_types.incident_id
),

freeze_incidents as (
    select
        windows.case_type,
        sum(
            case
                when case_type_incidents.severity in ('sev1', 'sev2')
                    and case_type_incidents.detected_at >= windows.freeze_start_at
                    then 1
                else 0
            end
        ) as severe_incidents_in_freeze,
        max(
            case
                when case_type_incidents.severity in ('sev1', 'sev2')
                    and case_type_incidents.detected_at >= windows.freeze_start_at
                    then case_type_incidents.detected_at
            end
        ) as last_severe_incident_at,
        sum(case when case_type_incidents.is_open then 1 else 0 end) as open_incidents
    from windows
    inner join case_type_incidents on case_type_incidents.case_type = windows.case_type
    group by windows.case_type
),

last_severe as (
    select
        freeze_incidents.case_type,
        min(case_type_incidents.incident_id) as last_severe_incident_id
    from freeze_incidents
    inner join case_type_incidents
        on case_type_incidents.case_type = freeze_incidents.case_type
        and case_type_incidents.detected_at = freeze_incidents.last_severe_incident_at
        and case_type_incidents.severity in ('sev1', 'sev2')
    group by freeze_incidents.case_type
),

joined as (
    select
        windows.case_type,
        windows.is_catalogued,
        windows.policy_version,
        windows.as_of_date,
        windows.data_end_at,
        windows.window_weeks,
        windows.window_start_at,
        windows.window_end_at,
        policy.catalog_tier,
        mode_ranked.autonomy_mode as observed_tier,
        cast(coalesce(window_cases.ai_handled_cases, 0) as bigint) as ai_handled_cases
        {%- for t in tiers %},
        cast(coalesce(window_cases.{{ t }}_mode_cases, 0) as bigint) as {{ t }}_mode_cases
        {%- endfor %}
        {%- for d in dimensions %},
        pact_wide.pact_{{ d }}_id,
        pact_wide.pact_{{ d }}_threshold,
        pact_wide.pact_{{ d }}_window_weeks,
        cast(coalesce(pact_wide.pact_{{ d }}_evaluations, 0) as bigint) as pact_{{ d }}_evaluations,
        cast(coalesce(pact_wide.pact_{{ d }}_passed, 0) as bigint) as pact_{{ d }}_passed
        {%- endfor %},
        policy.min_escalation_compliance,
        cast(coalesce(window_escalations.escalations_required, 0) as bigint) as escalations_required,
        cast(coalesce(window_escalations.escalations_compliant, 0) as bigint) as escalations_compliant,
        policy.max_dispute_rate,
        cast(coalesce(window_resolutions.autonomous_resolutions, 0) as bigint) as autonomous_resolutions,
        cast(coalesce(window_resolutions.disputed_resolutions, 0) as bigint) as disputed_resolutions,
        cast(coalesce(window_resolutions.upheld_disputes, 0) as bigint) as upheld_disputes,
        cast(coalesce(window_resolutions.evaluated_resolutions, 0) as bigint) as evaluated_resolutions,
        cast(policy.min_evidence as integer) as min_evidence,
        cast(coalesce(window_evaluations.evaluated_cases, 0) as bigint) as evidence_volume,
        policy.risk_appetite,
        windows.freeze_days,
        windows.freeze_start_at,
        cast(coalesce(freeze_incidents.severe_incidents_in_freeze, 0) as bigint) as severe_incidents_in_freeze,
        last_severe.last_severe_incident_id,
        freeze_incidents.last_severe_incident_at,
        cast(coalesce(freeze_incidents.open_incidents, 0) as bigint) as open_incidents
    from windows
    inner join policy on policy.case_type = windows.case_type
    left join pact_wide on pact_wide.case_type = windows.case_type
    left join window_evaluations on window_evaluations.case_type = windows.case_type
    left join window_escalations on window_escalations.case_type = windows.case_type
    left join window_resolutions on window_resolutions.case_type = windows.case_type
    left join window_cases on window_cases.case_type = windows.case_type
    left join mode_ranked on mode_ranked.case_type = windows.case_type and mode_ranked.mode_rank = 1
    left join freeze_incidents on freeze_incidents.case_type = windows.case_type
    left join last_severe on last_severe.case_type = windows.case_type
),

final as (
    select
        case_type,
        is_catalogued,
        policy_version,
        as_of_date,
        data_end_at,
        window_weeks,
        window_start_at,
        window_end_at,
        catalog_tier,
        observed_tier,
        coalesce(catalog_tier, observed_tier, 'shadow') as current_tier,
        case
            when catalog_tier is not null then 'catalog'
            when observed_tier is not null then 'observed_mode'
            else 'none_observed'
        end as current_tier_source,
        ai_handled_cases
        {%- for t in tiers %},
        {{ t }}_mode_cases
        {%- endfor %}
        {%- for d in dimensions %},
        pact_{{ d }}_id,
        pact_{{ d }}_threshold,
        pact_{{ d }}_window_weeks,
        pact_{{ d }}_evaluations,
        pact_{{ d }}_passed,
        case
            when pact_{{ d }}_evaluations > 0
                then cast(pact_{{ d }}_passed as double) / pact_{{ d }}_evaluations
        end as pact_{{ d }}_rate,
        {{ wilson_lower('pact_' ~ d ~ '_passed', 'pact_' ~ d ~ '_evaluations') }} as pact_{{ d }}_lower,
        {{ wilson_upper('pact_' ~ d ~ '_passed', 'pact_' ~ d ~ '_evaluations') }} as pact_{{ d }}_upper
        {%- endfor %},
        min_escalation_compliance,
        escalations_required,
        escalations_compliant,
        case
            when escalations_required > 0
                then cast(escalations_compliant as double) / escalations_required
        end as escalation_compliance_rate,
        {{ wilson_lower('escalations_compliant', 'escalations_required') }} as escalation_compliance_lower,
        {{ wilson_upper('escalations_compliant', 'escalations_required') }} as escalation_compliance_upper,
        max_dispute_rate,
        autonomous_resolutions,
        disputed_resolutions,
        upheld_disputes,
        case
            when autonomous_resolutions > 0
                then cast(disputed_resolutions as double) / autonomous_resolutions
        end as dispute_rate,
        {{ wilson_lower('disputed_resolutions', 'autonomous_resolutions') }} as dispute_rate_lower,
        {{ wilson_upper('disputed_resolutions', 'autonomous_resolutions') }} as dispute_rate_upper,
        evaluated_resolutions,
        case
            when autonomous_resolutions > 0
                then cast(evaluated_resolutions as double) / autonomous_resolutions
        end as evaluation_coverage,
        min_evidence,
        evidence_volume,
        risk_appetite,
        freeze_days,
        freeze_start_at,
        severe_incidents_in_freeze,
        last_severe_incident_id,
        last_severe_incident_at,
        open_incidents
    from joined
)

select * from final
