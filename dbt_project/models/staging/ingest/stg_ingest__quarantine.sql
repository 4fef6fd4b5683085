-- Quarantined rows without their raw text (which may hold PII; it stays in
-- the raw layer for authorised use). The reason may quote the offending value,
-- so it is redacted like any other free text.
with source as (
    select * from {{ source('raw', 'quarantine') }}
),

final as (
    select
        source as source_name,
        file,
        line,
        {{ redact_pii('reason') }} as reason,
        record_key,
        run_id,
        quarantined_at
    from source
)

select * from final
