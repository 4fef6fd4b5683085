-- Full-table time order of incident snapshots (the contract quarantines rows
-- out of order, so any row here slipped past the loader). The GX suite
-- raw_incidents checks the same rule on raw.incidents before dbt runs.
select
    incident_id,
    row_hash,
    started_at,
    detected_at,
    resolved_at,
    case
        when detected_at < started_at then 'detected_at before started_at'
        else 'resolved_at before detected_at'
    end as broken_rule
from {{ ref('stg_incidents__snapshots') }}
where detected_at < started_at
    or resolved_at < detected_at
