-- The current state of each ticket: its latest snapshot by updated_at; on a
-- tie, the one delivered last (files in path order, then rows in file order).
with snapshots as (
    select * from {{ ref('stg_tickets__snapshots') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by ticket_id
            order by updated_at desc, source_file desc, source_line desc
        ) as snapshot_rank,
        count(*) over (partition by ticket_id) as snapshot_count
    from snapshots
),

final as (
    select * from ranked where snapshot_rank = 1
)

select * from final
