-- One row per (incident snapshot, affected ticket).
with source as (
    select * from {{ source('raw', 'incidents') }}
),

final as (
    select
        _row_hash as row_hash,
        incident_id,
        {{ explode_list("ticket_ids") }} as ticket_id
    from source
    where ticket_ids is not null
)

select * from final
