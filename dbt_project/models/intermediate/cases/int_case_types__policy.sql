-- Every case type seen in tickets or listed in the policy, with the policy
-- values that apply to it: its own where the catalog lists it, the defaults
-- otherwise (flagged uncatalogued, never dropped).
with catalog as (
    select * from {{ ref('stg_policy__case_types') }}
),

defaults as (
    select * from {{ ref('stg_policy__defaults') }}
),

seen as (
    select distinct case_type from {{ ref('int_tickets__current') }}
),

all_case_types as (
    select case_type from seen
    union
    select case_type from catalog
),

final as (
    select
        all_case_types.case_type,
        catalog.case_type is not null as is_catalogued,
        catalog.tier as catalog_tier,
        coalesce(catalog.max_handoff_delay_seconds, defaults.max_handoff_delay_seconds) as max_handoff_delay_seconds,
        coalesce(catalog.risk_appetite, defaults.risk_appetite) as risk_appetite,
        coalesce(catalog.max_dispute_rate, defaults.max_dispute_rate) as max_dispute_rate,
        coalesce(catalog.min_escalation_compliance, defaults.min_escalation_compliance) as min_escalation_compliance,
        coalesce(catalog.min_evidence, defaults.min_evidence) as min_evidence,
        coalesce(catalog.evidence_window_weeks, defaults.evidence_window_weeks) as evidence_window_weeks,
        coalesce(catalog.freeze_days, defaults.freeze_days) as freeze_days,
        coalesce(catalog.durable_window_days, defaults.durable_window_days) as durable_window_days,
        coalesce(catalog.pact_threshold_accuracy, defaults.pact_threshold_accuracy) as pact_threshold_accuracy,
        coalesce(catalog.pact_threshold_escalation, defaults.pact_threshold_escalation) as pact_threshold_escalation,
        coalesce(catalog.pact_threshold_tone, defaults.pact_threshold_tone) as pact_threshold_tone,
        coalesce(
            catalog.pact_threshold_policy_adherence, defaults.pact_threshold_policy_adherence
        ) as pact_threshold_policy_adherence,
        defaults.policy_version
    from all_case_types
    left join catalog on catalog.case_type = all_case_types.case_type
    cross join defaults
)

select * from final
