-- One row per landing file read, with its reconciliation counts.
with source as (
    select * from {{ source('raw', 'file_ledger') }}
),

final as (
    select
        file,
        source as source_name,
        format,
        sha256,
        size_bytes,
        status,
        rows_read,
        rows_loaded,
        rows_new,
        rows_duplicate,
        rows_quarantined,
        error,
        duplicate_of,
        run_id,
        loaded_at,
        rows_read = rows_loaded + rows_quarantined as is_reconciled
    from source
)

select * from final
