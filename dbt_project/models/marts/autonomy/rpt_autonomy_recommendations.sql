-- The autonomy recommendation per case type (metrics.md section 4): promote,
-- hold or demote, one step along shadow -> triage -> suggest -> resolve, with
-- every rule's outcome, its numbers and a plain-language reason.
--
-- Each rule has an outcome:
--   clear       the promotion condition holds: pact and escalation Wilson
--               lower bound >= threshold; dispute rate upper bound < limit;
--               predicted risk upper bound < risk appetite; evidence volume
--               >= minimum; no sev1/sev2 incident in the freeze window
--   breach      a limit is broken on the bound fair to the agent: pact or
--               escalation upper bound < threshold; dispute lower bound >
--               limit; predicted risk lower bound > risk appetite
--   short       neither (the evidence does not settle it yet)
--   no_evidence nothing to judge in the window (never clears)
--   frozen      the incident freeze (blocks promotion, is not a breach)
-- Any breach recommends demotion; every rule clear recommends promotion;
-- anything else holds. Nothing moves below shadow or above resolve.
{%- set dimensions = ['accuracy', 'escalation', 'tone', 'policy_adherence'] %}
{%- set rules = ['pact_accuracy', 'pact_escalation', 'pact_tone', 'pact_policy_adherence', 'escalation',
                 'dispute', 'model_risk', 'evidence', 'freeze'] %}
{%- set str = dbt.type_string() %}
{%- set pct = "cast(round(100 * (@@), 1) as " ~ str ~ ") || '%'" %}
{%- set num = "cast(@@ as " ~ str ~ ")" %}
with evidence as (
    select * from {{ ref('fct_autonomy_evidence') }}
),

risk as (
    select * from {{ ref('rpt_case_type_risk') }}
),

joined as (
    select
        evidence.*,
        risk.predicted_cases,
        risk.predicted_risk,
        risk.predicted_risk_lower,
        risk.predicted_risk_upper,
        risk.empirical_rate,
        risk.labelled_cases,
        risk.model_version,
        coalesce(risk.is_model_fallback, false) as is_model_fallback,
        case evidence.current_tier
            when 'shadow' then 0 when 'triage' then 1 when 'suggest' then 2 when 'resolve' then 3
        end as tier_rank
    from evidence
    left join risk on risk.case_type = evidence.case_type
),

rules as (
    select
        *,
        {%- for d in dimensions %}
        case
            when coalesce(pact_{{ d }}_evaluations, 0) = 0 then 'no_evidence'
            when pact_{{ d }}_lower >= pact_{{ d }}_threshold then 'clear'
            when pact_{{ d }}_upper < pact_{{ d }}_threshold then 'breach'
            else 'short'
        end as rule_pact_{{ d }},
        {%- endfor %}
        case
            when coalesce(escalations_required, 0) = 0 then 'no_evidence'
            when escalation_compliance_lower >= min_escalation_compliance then 'clear'
            when escalation_compliance_upper < min_escalation_compliance then 'breach'
            else 'short'
        end as rule_escalation,
        case
            when coalesce(autonomous_resolutions, 0) = 0 then 'no_evidence'
            when dispute_rate_upper < max_dispute_rate then 'clear'
            when dispute_rate_lower > max_dispute_rate then 'breach'
            else 'short'
        end as rule_dispute,
        case
            when predicted_risk is null then 'no_evidence'
            when predicted_risk_upper < risk_appetite then 'clear'
            when predicted_risk_lower > risk_appetite then 'breach'
            else 'short'
        end as rule_model_risk,
        case when evidence_volume >= min_evidence then 'clear' else 'short' end as rule_evidence,
        case when coalesce(severe_incidents_in_freeze, 0) = 0 then 'clear' else 'frozen' end as rule_freeze
    from joined
),

counted as (
    select
        *,
        0 {%- for r in rules %} + case when rule_{{ r }} = 'clear' then 1 else 0 end{% endfor %} as rules_cleared,
        0 {%- for r in rules %} + case when rule_{{ r }} = 'breach' then 1 else 0 end{% endfor %} as rules_breached
    from rules
),

decided as (
    select
        *,
        case
            when rules_breached > 0 and tier_rank > 0 then 'demote'
            when rules_breached = 0 and rules_cleared = {{ rules | length }} and tier_rank < 3 then 'promote'
            else 'hold'
        end as action,
        case
            when rules_breached > 0 and tier_rank > 0 then 'breach'
            when rules_breached > 0 then 'breach_at_lowest_tier'
            when rules_cleared = {{ rules | length }} and tier_rank < 3 then 'every_rule_clears'
            when rules_cleared = {{ rules | length }} then 'every_rule_clears_at_highest_tier'
            else 'rules_not_cleared'
        end as decision_basis
    from counted
),

sentences as (
    select
        *,
        {%- for d in dimensions %}
        {%- set label = d | replace('_', ' ') %}
        {%- set rate = pct | replace('@@', 'pact_' ~ d ~ '_rate') %}
        {%- set lower = pct | replace('@@', 'pact_' ~ d ~ '_lower') %}
        {%- set upper = pct | replace('@@', 'pact_' ~ d ~ '_upper') %}
        {%- set threshold = pct | replace('@@', 'pact_' ~ d ~ '_threshold') %}
        {%- set n = num | replace('@@', 'pact_' ~ d ~ '_evaluations') %}
        case rule_pact_{{ d }}
            when 'no_evidence' then 'no {{ label }} evaluation in the pact window (' || {{ num | replace('@@', 'pact_' ~ d ~ '_window_weeks') }} || ' weeks): the {{ label }} pact is unproven'
            when 'clear' then '{{ label }} evaluations pass ' || {{ rate }} || ' (lower bound ' || {{ lower }} || ', ' || {{ n }} || ' evaluations) clears the ' || {{ threshold }} || ' pact threshold'
            when 'breach' then '{{ label }} evaluations pass ' || {{ rate }} || ' (upper bound ' || {{ upper }} || ', ' || {{ n }} || ' evaluations) is below the ' || {{ threshold }} || ' pact threshold'
            else '{{ label }} evaluations pass ' || {{ rate }} || ' (lower bound ' || {{ lower }} || ', ' || {{ n }} || ' evaluations) does not yet clear the ' || {{ threshold }} || ' pact threshold'
        end as reason_pact_{{ d }},
        {%- endfor %}
        {%- set rate = pct | replace('@@', 'escalation_compliance_rate') %}
        {%- set n = num | replace('@@', 'escalations_required') %}
        {%- set limit = pct | replace('@@', 'min_escalation_compliance') %}
        case rule_escalation
            when 'no_evidence' then 'no escalation was required in the window: escalation compliance is unproven'
            when 'clear' then 'escalation compliance ' || {{ rate }} || ' (lower bound ' || {{ pct | replace('@@', 'escalation_compliance_lower') }} || ', ' || {{ n }} || ' escalations) clears the ' || {{ limit }} || ' minimum'
            when 'breach' then 'escalation compliance ' || {{ rate }} || ' (upper bound ' || {{ pct | replace('@@', 'escalation_compliance_upper') }} || ', ' || {{ n }} || ' escalations) is below the ' || {{ limit }} || ' minimum'
            else 'escalation compliance ' || {{ rate }} || ' (lower bound ' || {{ pct | replace('@@', 'escalation_compliance_lower') }} || ', ' || {{ n }} || ' escalations) does not yet clear the ' || {{ limit }} || ' minimum'
        end as reason_escalation,
        {%- set rate = pct | replace('@@', 'dispute_rate') %}
        {%- set n = num | replace('@@', 'autonomous_resolutions') %}
        {%- set limit = pct | replace('@@', 'max_dispute_rate') %}
        case rule_dispute
            when 'no_evidence' then 'no autonomous resolution in the window: the dispute rate is unproven'
            when 'clear' then 'dispute rate ' || {{ rate }} || ' (upper bound ' || {{ pct | replace('@@', 'dispute_rate_upper') }} || ', ' || {{ n }} || ' autonomous resolutions) is under the ' || {{ limit }} || ' limit'
            when 'breach' then 'dispute rate ' || {{ rate }} || ' (lower bound ' || {{ pct | replace('@@', 'dispute_rate_lower') }} || ', ' || {{ n }} || ' autonomous resolutions) is above the ' || {{ limit }} || ' limit'
            else 'dispute rate ' || {{ rate }} || ' (upper bound ' || {{ pct | replace('@@', 'dispute_rate_upper') }} || ', ' || {{ n }} || ' autonomous resolutions) is not yet under the ' || {{ limit }} || ' limit'
        end as reason_dispute,
        {%- set rate = pct | replace('@@', 'predicted_risk') %}
        {%- set n = num | replace('@@', 'predicted_cases') %}
        {%- set limit = pct | replace('@@', 'risk_appetite') %}
        case rule_model_risk
            when 'no_evidence' then 'no risk prediction for the window: the risk is unproven'
            when 'clear' then 'predicted risk ' || {{ rate }} || ' (upper bound ' || {{ pct | replace('@@', 'predicted_risk_upper') }} || ', ' || {{ n }} || ' cases) is under the ' || {{ limit }} || ' risk appetite'
            when 'breach' then 'predicted risk ' || {{ rate }} || ' (lower bound ' || {{ pct | replace('@@', 'predicted_risk_lower') }} || ', ' || {{ n }} || ' cases) is above the ' || {{ limit }} || ' risk appetite'
            else 'predicted risk ' || {{ rate }} || ' (upper bound ' || {{ pct | replace('@@', 'predicted_risk_upper') }} || ', ' || {{ n }} || ' cases) is not under the ' || {{ limit }} || ' risk appetite'
        end as reason_model_risk,
        case rule_evidence
            when 'clear' then {{ num | replace('@@', 'evidence_volume') }} || ' evaluated cases meet the minimum of ' || {{ num | replace('@@', 'min_evidence') }}
            else 'only ' || {{ num | replace('@@', 'evidence_volume') }} || ' evaluated cases, fewer than the minimum of ' || {{ num | replace('@@', 'min_evidence') }}
        end as reason_evidence,
        case rule_freeze
            when 'clear' then 'no sev1/sev2 incident since ' || {{ num | replace('@@', 'cast(freeze_start_at as date)') }}
            else {{ num | replace('@@', 'severe_incidents_in_freeze') }} || ' sev1/sev2 incident(s) since ' || {{ num | replace('@@', 'cast(freeze_start_at as date)') }}
                || ' (latest ' || coalesce(last_severe_incident_id, '?') || ', detected ' || {{ num | replace('@@', 'cast(last_severe_incident_at as date)') }} || '): promotion is frozen'
        end as reason_freeze
    from decided
),

worded as (
    select
        *,
        case
            when action = 'promote' then case tier_rank when 0 then 'triage' when 1 then 'suggest' else 'resolve' end
            when action = 'demote' then case tier_rank when 3 then 'suggest' when 2 then 'triage' else 'shadow' end
            else current_tier
        end as recommended_tier,
        concat_ws(
            '; '
            {%- for r in rules %}, case when rule_{{ r }} = 'breach' then reason_{{ r }} end{% endfor %}
        ) as breach_reasons,
        concat_ws(
            '; '
            {%- for r in rules %}, case when rule_{{ r }} <> 'clear' then reason_{{ r }} end{% endfor %}
        ) as uncleared_reasons,
        concat_ws('; '{%- for r in rules %}, reason_{{ r }}{% endfor %}) as all_reasons,
        case
            when is_catalogued then ''
            when current_tier_source = 'observed_mode'
                then ' (uncatalogued case type: policy defaults apply; current tier is the mode observed in the logs)'
            else ' (uncatalogued case type: policy defaults apply; no AI-handled case observed, treated as shadow)'
        end as catalog_note
    from sentences
),

final as (
    select
        case_type,
        is_catalogued,
        as_of_date,
        policy_version,
        window_weeks,
        window_start_at,
        window_end_at,
        current_tier,
        current_tier_source,
        observed_tier,
        recommended_tier,
        action,
        decision_basis,
        case
            when action = 'demote'
                then 'Demote from ' || current_tier || ' to ' || recommended_tier || ': ' || breach_reasons
            when action = 'promote'
                then 'Promote from ' || current_tier || ' to ' || recommended_tier || ': every rule clears: '
                    || all_reasons
            when decision_basis = 'breach_at_lowest_tier'
                then 'Hold at shadow, the lowest tier, although a limit is breached: ' || breach_reasons
            when decision_basis = 'every_rule_clears_at_highest_tier'
                then 'Hold at resolve, the highest tier: every rule clears'
            when tier_rank = 3 then 'Hold at resolve, the highest tier; not cleared: ' || uncleared_reasons
            else 'Hold at ' || current_tier || ': ' || uncleared_reasons
        end || catalog_note as reasons,
        rules_cleared,
        rules_breached,
        concat_ws(', '{%- for r in rules %}, case when rule_{{ r }} = 'breach' then '{{ r }}' end{% endfor %}) as breached_rules,
        concat_ws(', '{%- for r in rules %}, case when rule_{{ r }} <> 'clear' then '{{ r }}' end{% endfor %}) as uncleared_rules,
        ai_handled_cases,
        predicted_cases,
        predicted_risk,
        predicted_risk_lower,
        predicted_risk_upper,
        risk_appetite,
        empirical_rate,
        labelled_cases,
        model_version,
        is_model_fallback,
        rule_model_risk,
        reason_model_risk,
        evidence_volume,
        min_evidence,
        rule_evidence,
        reason_evidence
        {%- for d in dimensions %},
        pact_{{ d }}_id,
        pact_{{ d }}_threshold,
        pact_{{ d }}_window_weeks,
        pact_{{ d }}_evaluations,
        pact_{{ d }}_passed,
        pact_{{ d }}_rate,
        pact_{{ d }}_lower,
        pact_{{ d }}_upper,
        rule_pact_{{ d }},
        reason_pact_{{ d }}
        {%- endfor %},
        escalations_required,
        escalations_compliant,
        escalation_compliance_rate,
        escalation_compliance_lower,
        escalation_compliance_upper,
        min_escalation_compliance,
        rule_escalation,
        reason_escalation,
        autonomous_resolutions,
        disputed_resolutions,
        dispute_rate,
        dispute_rate_lower,
        dispute_rate_upper,
        max_dispute_rate,
        rule_dispute,
        reason_dispute,
        evaluation_coverage,
        freeze_days,
        freeze_start_at,
        severe_incidents_in_freeze,
        last_severe_incident_id,
        last_severe_incident_at,
        rule_freeze,
        reason_freeze,
        open_incidents
    from worded
)

select * from final
