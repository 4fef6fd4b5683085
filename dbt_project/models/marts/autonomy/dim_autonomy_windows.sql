-- The evidence windows of the autonomy decisions: one row per case type.
-- The as-of date is the Sunday ending the latest complete ISO week in the
-- data; the data ends at the latest event on a known case, leaving out events
-- dated after the build (credible_max: a mistyped year on one event would
-- otherwise move every window into an empty future). A week counts as
-- complete when the data reaches its Sunday (an export taken on Monday 00:00
-- ends on Sunday evening): as_of_date = Monday of the week of (data end + 1 day)
-- minus 1 day. Every window ends at the end of the as-of date (exclusive
-- bound window_end_at = as_of_date + 1 day, 00:00 UTC).
with events as (
    select occurred_at from {{ ref('int_events__on_cases') }}
    where not is_orphan and is_known_event_type
),

policy as (
    select * from {{ ref('int_case_types__policy') }}
),

data_end as (
    select {{ trustloop.credible_max('occurred_at') }} as data_end_at from events
),

as_of as (
    select
        data_end_at,
        cast(
            {{ dbt.dateadd('day', -1, dbt.date_trunc('week', dbt.dateadd('day', 1, 'data_end_at'))) }} as date
        ) as as_of_date
    from data_end
),

bounds as (
    select
        policy.case_type,
        policy.is_catalogued,
        policy.policy_version,
        as_of.data_end_at,
        as_of.as_of_date,
        cast(policy.evidence_window_weeks as integer) as window_weeks,
        cast(policy.freeze_days as integer) as freeze_days,
        cast(policy.durable_window_days as integer) as durable_window_days,
        cast({{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as {{ dbt.type_timestamp() }}) as window_end_at
    from policy
    cross join as_of
),

final as (
    select
        case_type,
        is_catalogued,
        policy_version,
        data_end_at,
        as_of_date,
        window_weeks,
        {{ dbt.dateadd('day', '-7 * window_weeks', 'window_end_at') }} as window_start_at,
        window_end_at,
        freeze_days,
        {{ dbt.dateadd('day', '-1 * freeze_days', 'window_end_at') }} as freeze_start_at,
        durable_window_days
    from bounds
)

select * from final
