-- Agent Score (0-1000): one row per AI agent and ISO week, from the evidence
-- of the trailing window ending with that week (default 8 weeks). History is
-- kept: every week since the agent's first case has its row.
--
-- Five explainable components, each in [0, 1] and each judged on the bound
-- that is fair to the agent, so that little evidence cannot score high by
-- luck (no evidence earns nothing: a Wilson lower bound tends to 0 and an
-- upper bound to 1 as the count tends to 0):
--   pact        Wilson lower bound of passed / all pact evaluations (4 dimensions pooled)
--   escalation  Wilson lower bound of compliant / escalations required
--   dispute     1 - Wilson upper bound of disputed / autonomously resolved cases
--   incident    1 - 10 x (severity points + 3) / AI-handled cases, floored at 0
--               (points sev1 10, sev2 5, sev3 2, sev4 1; the +3 is the rule of
--               three: with no incident the upper estimate is 3 / cases)
--   evidence    evaluated cases / (evaluated cases + the policy's min_evidence)
-- score = round(1000 x weighted sum); tier from the score's cut-offs, capped at
-- 'watch' while the agent breaches a limit of the policy (escalation compliance
-- whose upper bound is below min_escalation_compliance, or a dispute rate whose
-- lower bound is above max_dispute_rate: the demotion rules of the autonomy
-- recommendations, on the policy defaults), and at 'developing' while the window
-- holds less evidence than the policy's min_evidence (is_provisional). See
-- DECISIONLOG.md.
{%- set window_weeks = var('evidence_window_weeks', 8) | int %}
{%- set weights = {'pact': 0.35, 'escalation': 0.20, 'dispute': 0.15, 'incident': 0.15, 'evidence': 0.15} %}
{%- set severity_points = {'sev1': 10, 'sev2': 5, 'sev3': 2, 'sev4': 1} %}
{%- set tiers = [(800, 'trusted'), (650, 'established'), (500, 'developing'), (350, 'watch')] %}

with metrics as (
    select * from {{ ref('fct_trust_metrics') }}
    where grain = 'agent' and period = 'week'
),

cases as (
    select * from {{ ref('fct_cases') }}
    where is_ai_handled
),

evaluations as (
    select * from {{ ref('fct_evaluations') }}
    where dimension in ('accuracy', 'escalation', 'tone', 'policy_adherence') and passed is not null
),

incidents as (
    select * from {{ ref('fct_incidents') }}
    where is_in_recovery_scope
),

policy_defaults as (
    select
        cast(min_evidence as integer) as min_evidence,
        cast(min_escalation_compliance as double) as min_escalation_compliance,
        cast(max_dispute_rate as double) as max_dispute_rate
    from {{ ref('stg_policy__defaults') }}
),

-- weekly counts per agent ------------------------------------------------

weekly_rates as (
    select
        grain_value as agent_id,
        period_start as week_start,
        sum(case when metric = 'pact_pass_rate' then denominator else 0 end) as evaluations,
        sum(case when metric = 'pact_pass_rate' then numerator else 0 end) as evaluations_passed,
        sum(case when metric = 'escalation_compliance_rate' then denominator else 0 end) as escalations_required,
        sum(case when metric = 'escalation_compliance_rate' then numerator else 0 end) as escalations_compliant,
        sum(case when metric = 'dispute_rate' then denominator else 0 end) as autonomous_resolutions,
        sum(case when metric = 'dispute_rate' then numerator else 0 end) as disputes,
        sum(case when metric = 'upheld_dispute_rate' then numerator else 0 end) as disputes_upheld,
        0 as handled_cases,
        0 as evaluated_cases,
        0 as incidents,
        0 as incidents_sev1_sev2,
        0 as incident_points
    from metrics
    group by grain_value, period_start
),

weekly_cases as (
    select
        agent_id,
        {{ week_start('assigned_at') }} as week_start,
        count(*) as handled_cases
    from cases
    group by agent_id, {{ week_start('assigned_at') }}
),

-- an evaluated case counts once, in the week of its first pact evaluation
first_evaluations as (
    select agent_id, ticket_id, min(evaluated_week) as week_start
    from evaluations
    group by agent_id, ticket_id
),

weekly_evaluated as (
    select agent_id, week_start, count(*) as evaluated_cases
    from first_evaluations
    group by agent_id, week_start
),

weekly_incidents as (
    select
        agent_id,
        {{ week_start('detected_at') }} as week_start,
        count(*) as incidents,
        sum(case when severity in ('sev1', 'sev2') then 1 else 0 end) as incidents_sev1_sev2,
        sum(case severity
            {%- for sev, points in severity_points.items() %} when '{{ sev }}' then {{ points }}{% endfor %}
            else 0
        end) as incident_points
    from incidents
    group by agent_id, {{ week_start('detected_at') }}
),

weekly as (
    select * from weekly_rates
    union all
    select agent_id, week_start, 0, 0, 0, 0, 0, 0, 0, handled_cases, 0, 0, 0, 0 from weekly_cases
    union all
    select agent_id, week_start, 0, 0, 0, 0, 0, 0, 0, 0, evaluated_cases, 0, 0, 0 from weekly_evaluated
    union all
    select agent_id, week_start, 0, 0, 0, 0, 0, 0, 0, 0, 0, incidents, incidents_sev1_sev2, incident_points
    from weekly_incidents
),

-- the weeks to score: every week from the agent's first case to the last week of evidence
-- (a contiguous spine, so a week without any evidence still gets its row; up to 20 years)

bounds as (
    select min(week_start) as first_week, max(week_start) as last_week from weekly
),

week_offsets as (
    {{ dbt.generate_series(1044) }}
),

weeks as (
    select
        cast({{ dbt.dateadd('day', '7 * (week_offsets.generated_number - 1)', 'bounds.first_week') }} as date)
            as week_start
    from bounds
    cross join week_offsets
    where {{ dbt.dateadd('day', '7 * (week_offsets.generated_number - 1)', 'bounds.first_week') }} <= bounds.last_week
),

agents as (
    select agent_id, min(week_start) as first_week
    from weekly
    where agent_id is not null
    group by agent_id
),

spine as (
    select agents.agent_id, weeks.week_start
    from agents
    inner join weeks on weeks.week_start >= agents.first_week
),

-- trailing window sums ------------------------------------------------------

windowed as (
    select
        spine.agent_id,
        spine.week_start,
        cast({{ dbt.dateadd('day', -7 * (window_weeks - 1), 'spine.week_start') }} as date) as window_start,
        cast(coalesce(sum(weekly.handled_cases), 0) as bigint) as handled_cases,
        cast(coalesce(sum(weekly.evaluated_cases), 0) as bigint) as evaluated_cases,
        cast(coalesce(sum(weekly.evaluations), 0) as bigint) as evaluations,
        cast(coalesce(sum(weekly.evaluations_passed), 0) as bigint) as evaluations_passed,
        cast(coalesce(sum(weekly.escalations_required), 0) as bigint) as escalations_required,
        cast(coalesce(sum(weekly.escalations_compliant), 0) as bigint) as escalations_compliant,
        cast(coalesce(sum(weekly.autonomous_resolutions), 0) as bigint) as autonomous_resolutions,
        cast(coalesce(sum(weekly.disputes), 0) as bigint) as disputes,
        cast(coalesce(sum(weekly.disputes_upheld), 0) as bigint) as disputes_upheld,
        cast(coalesce(sum(weekly.incidents), 0) as bigint) as incidents,
        cast(coalesce(sum(weekly.incidents_sev1_sev2), 0) as bigint) as incidents_sev1_sev2,
        cast(coalesce(sum(weekly.incident_points), 0) as bigint) as incident_points
    from spine
    left join weekly
        on weekly.agent_id = spine.agent_id
        and weekly.week_start <= spine.week_start
        and weekly.week_start >= cast({{ dbt.dateadd('day', -7 * (window_weeks - 1), 'spine.week_start') }} as date)
    group by spine.agent_id, spine.week_start
),

components as (
    select
        windowed.*,
        policy_defaults.min_evidence,
        policy_defaults.min_escalation_compliance,
        policy_defaults.max_dispute_rate,
        case when evaluations > 0 then cast(evaluations_passed as double) / evaluations end as pact_pass_rate,
        {{ wilson_lower('evaluations_passed', 'evaluations') }} as pact_pass_lower,
        case when escalations_required > 0
                then cast(escalations_compliant as double) / escalations_required
        end as escalation_compliance_rate,
        {{ wilson_lower('escalations_compliant', 'escalations_required') }} as escalation_compliance_lower,
        {{ wilson_upper('escalations_compliant', 'escalations_required') }} as escalation_compliance_upper,
        case when autonomous_resolutions > 0
                then cast(disputes as double) / autonomous_resolutions
        end as dispute_rate,
        {{ wilson_lower('disputes', 'autonomous_resolutions') }} as dispute_rate_lower,
        {{ wilson_upper('disputes', 'autonomous_resolutions') }} as dispute_rate_upper
    from windowed
    cross join policy_defaults
),

scored as (
    select
        components.*,
        coalesce(pact_pass_lower, 0.0) as pact_component,
        coalesce(escalation_compliance_lower, 0.0) as escalation_component,
        1.0 - coalesce(dispute_rate_upper, 1.0) as dispute_component,
        case when handled_cases > 0
                then greatest(0.0, 1.0 - cast(10 * (incident_points + 3) as double) / handled_cases)
            else 0.0
        end as incident_component,
        cast(evaluated_cases as double) / (evaluated_cases + greatest(min_evidence, 1)) as evidence_component
    from components
),

final_scores as (
    select
        scored.*,
        cast(round(1000 * (
            {{ weights['pact'] }} * pact_component
            + {{ weights['escalation'] }} * escalation_component
            + {{ weights['dispute'] }} * dispute_component
            + {{ weights['incident'] }} * incident_component
            + {{ weights['evidence'] }} * evidence_component
        )) as integer) as score,
        evaluated_cases < min_evidence as is_provisional,
        -- judged on the bound fair to the agent; no evidence is no breach
        coalesce(escalation_compliance_upper < min_escalation_compliance, false) as is_escalation_breach,
        coalesce(dispute_rate_lower > max_dispute_rate, false) as is_dispute_breach
    from scored
),

tiered as (
    select
        final_scores.*,
        case
            {%- for cut, tier in tiers %}
            when score >= {{ cut }} then '{{ tier }}'
            {%- endfor %}
            else 'restricted'
        end as score_tier
    from final_scores
),

final as (
    select
        agent_id || '|' || cast(week_start as {{ dbt.type_string() }}) as agent_week_key,
        agent_id,
        week_start,
        cast({{ dbt.dateadd('day', 6, 'week_start') }} as date) as as_of_date,
        window_start,
        {{ window_weeks }} as window_weeks,
        score,
        case
            when (is_escalation_breach or is_dispute_breach)
                and score_tier in ('trusted', 'established', 'developing') then 'watch'
            when is_provisional and score_tier in ('trusted', 'established') then 'developing'
            else score_tier
        end as tier,
        score_tier,
        is_provisional,
        is_escalation_breach or is_dispute_breach as is_in_breach,
        is_escalation_breach,
        is_dispute_breach,
        pact_component,
        escalation_component,
        dispute_component,
        incident_component,
        evidence_component,
        handled_cases,
        evaluated_cases,
        min_evidence,
        evaluations,
        evaluations_passed,
        pact_pass_rate,
        pact_pass_lower,
        escalations_required,
        escalations_compliant,
        escalation_compliance_rate,
        escalation_compliance_lower,
        escalation_compliance_upper,
        min_escalation_compliance,
        autonomous_resolutions,
        disputes,
        disputes_upheld,
        dispute_rate,
        dispute_rate_lower,
        dispute_rate_upper,
        max_dispute_rate,
        incidents,
        incidents_sev1_sev2,
        incident_points,
        lag(score) over (partition by agent_id order by week_start) as previous_score,
        score - lag(score) over (partition by agent_id order by week_start) as score_change,
        row_number() over (partition by agent_id order by week_start desc) = 1 as is_latest
    from tiered
)

select * from final
