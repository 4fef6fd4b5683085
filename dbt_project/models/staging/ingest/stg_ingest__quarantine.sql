-- Quarantined rows without their raw text (which may hold PII; it stays in
-- the raw layer for authorised use).
with source as (
    select * from {{ source('raw', 'quarantine') }}
),

final as (
    select
        source as source_name,
        file,
        line,
        reason,
        record_key,
        run_id,
        quarantined_at
    from source
)

select * from final
