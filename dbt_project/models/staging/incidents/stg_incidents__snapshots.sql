-- One row per distinct incident snapshot, as delivered.
with source as (
    select * from {{ source('raw', 'incidents') }}
),

final as (
    select
        incident_id,
        updated_at,
        started_at,
        detected_at,
        resolved_at,
        severity,
        category,
        agent_id,
        case_type,
        ticket_ids,
        customers_affected,
        remediation_cost,
        {{ redact_pii("summary") }} as summary,
        _file as source_file,
        _line as source_line,
        _row_hash as row_hash
    from source
)

select * from final
