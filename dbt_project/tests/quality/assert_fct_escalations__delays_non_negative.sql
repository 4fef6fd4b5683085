-- A handoff counts from the escalation trigger on: delays are >= 0 and the
-- handoff never precedes the trigger.
select
    ticket_id,
    triggered_at,
    handoff_at,
    handoff_delay_seconds
from {{ ref('fct_escalations') }}
where handoff_delay_seconds < 0
    or handoff_at < triggered_at
