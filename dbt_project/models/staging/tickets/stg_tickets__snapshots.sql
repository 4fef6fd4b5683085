-- One row per distinct ticket snapshot, as delivered.
with source as (
    select * from {{ source('raw', 'tickets') }}
),

final as (
    select
        ticket_id,
        updated_at,
        created_at,
        channel,
        case_type,
        priority,
        customer_id,
        status,
        solved_at,
        {{ redact_pii("subject") }} as subject,
        {{ redact_pii("description") }} as description,
        amount_at_stake,
        csat_score,
        reopened_count,
        disputed_at,
        dispute_outcome,
        _file as source_file,
        _line as source_line,
        _row_hash as row_hash
    from source
)

select * from final
