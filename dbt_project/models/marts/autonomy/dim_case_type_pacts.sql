-- The pact that applies to each case type and pact dimension: the catalog's
-- pact when the policy lists one, otherwise an implicit pact at the case
-- type's pact threshold (or the defaults) over its evidence window.
with case_types as (
    select * from {{ ref('int_case_types__policy') }}
),

dimensions as (
    select 'accuracy' as dimension, 1 as dimension_order
    union all
    select 'escalation', 2
    union all
    select 'tone', 3
    union all
    select 'policy_adherence', 4
),

pacts as (
    select * from {{ source('raw_policy', 'policy_pacts') }}
),

final as (
    select
        case_types.case_type || ':' || dimensions.dimension as pact_key,
        case_types.case_type,
        dimensions.dimension,
        dimensions.dimension_order,
        pacts.pact_id,
        pacts.pact_id is not null as is_catalogued_pact,
        coalesce(pacts.claim, 'Pass rate of ' || dimensions.dimension || ' evaluations at or above the threshold.')
            as claim,
        coalesce(
            pacts.threshold,
            case dimensions.dimension
                when 'accuracy' then case_types.pact_threshold_accuracy
                when 'escalation' then case_types.pact_threshold_escalation
                when 'tone' then case_types.pact_threshold_tone
                when 'policy_adherence' then case_types.pact_threshold_policy_adherence
            end
        ) as threshold,
        cast(coalesce(pacts.window_weeks, case_types.evidence_window_weeks) as integer) as window_weeks,
        coalesce(pacts.consequence, 'A breach recommends demotion by one tier.') as consequence,
        case_types.policy_version
    from case_types
    cross join dimensions
    left join pacts
        on pacts.case_type = case_types.case_type and pacts.dimension = dimensions.dimension
)

select * from final
