-- The current state of each incident: the latest updated_at wins; snapshots
-- without updated_at rank after those with one, then the one delivered last.
with snapshots as (
    select * from {{ ref('stg_incidents__snapshots') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by incident_id
            order by updated_at desc nulls last, source_file desc, source_line desc
        ) as snapshot_rank
    from snapshots
),

final as (
    select * from ranked where snapshot_rank = 1
)

select * from final
