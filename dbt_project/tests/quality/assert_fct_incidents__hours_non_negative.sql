-- Detection and recovery hours of every current incident are >= 0.
select
    incident_id,
    started_at,
    detected_at,
    resolved_at,
    detection_hours,
    recovery_hours
from {{ ref('fct_incidents') }}
where detection_hours < 0
    or recovery_hours < 0
