-- Escalation evidence: one row per AI-handled case that required escalation.
select
    ticket_id,
    case_type,
    agent_id,
    agent_version,
    autonomy_mode,
    triggered_at,
    trigger_reason,
    max_handoff_delay_seconds,
    handoff_at,
    handoff_delay_seconds,
    takeover_at,
    ai_resolved_at,
    is_resolved_before_handoff,
    is_compliant,
    escalation_outcome,
    triggered_week
from {{ ref('int_escalations__evaluated') }}
