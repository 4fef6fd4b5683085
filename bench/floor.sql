-- The floor: the metrics export computed straight from a landing folder with
-- plain DuckDB SQL - one process, no orchestration, no ledger, no quarantine
-- bookkeeping, no tests. The fastest this engine does the core work here.
-- bench/floor.py fills {tickets}, {events}, {incidents} with relations that
-- read the landing files as text, and {max_handoff_delay} with the policy's
-- per-case-type delays.

create or replace temp table tickets as
with parsed as (
    select
        trim(ticket_id) as ticket_id,
        timezone('UTC', try_cast(trim(updated_at) as timestamptz)) as updated_at,
        regexp_replace(lower(trim(case_type)), '[\s\-]+', '_', 'g') as case_type,
        lower(trim(channel)) as channel,
        lower(trim(priority)) as priority,
        lower(trim(status)) as status,
        nullif(trim(customer_id), '') as customer_id,
        timezone('UTC', try_cast(trim(created_at) as timestamptz)) as created_at,
        timezone('UTC', try_cast(nullif(trim(disputed_at), '') as timestamptz)) as disputed_at,
        lower(trim(dispute_outcome)) as dispute_outcome,
        try_cast(nullif(trim(amount_at_stake), '') as double) as amount_at_stake,
        try_cast(nullif(trim(csat_score), '') as double) as csat_score,
        filename, _row
    from ({tickets})
)
select * from parsed
where ticket_id <> '' and updated_at is not null and created_at is not null and customer_id is not null
  and case_type <> ''
  and channel in ('email', 'chat', 'voice', 'social', 'web')
  and priority in ('low', 'normal', 'high', 'urgent')
  and status in ('new', 'open', 'pending', 'solved', 'closed')
  and coalesce(amount_at_stake, 0) >= 0
  and (csat_score is null or csat_score between 1 and 5)
qualify row_number() over (partition by ticket_id order by updated_at desc, filename desc, _row desc) = 1;

create or replace temp table events as
with parsed as (
    select
        trim(event_id) as event_id,
        trim(ticket_id) as ticket_id,
        timezone('UTC', try_cast(trim(occurred_at) as timestamptz)) as occurred_at,
        lower(trim(actor_type)) as actor_type,
        trim(actor_id) as actor_id,
        lower(trim(event_type)) as event_type,
        nullif(trim(agent_version), '') as agent_version,
        nullif(lower(trim(autonomy_mode)), '') as autonomy_mode,
        try_cast(attributes as json) as attributes,
        filename, _row
    from ({events})
)
select * from parsed
where event_id <> '' and ticket_id <> '' and occurred_at is not null and actor_id <> ''
  and actor_type in ('ai_agent', 'human', 'customer', 'system')
  and (attributes is not null or true)
qualify row_number() over (partition by event_id order by filename, _row) = 1;

create or replace temp table incidents as
with parsed as (
    select
        trim(incident_id) as incident_id,
        timezone('UTC', try_cast(nullif(trim(updated_at), '') as timestamptz)) as updated_at,
        timezone('UTC', try_cast(trim(started_at) as timestamptz)) as started_at,
        timezone('UTC', try_cast(trim(detected_at) as timestamptz)) as detected_at,
        timezone('UTC', try_cast(nullif(trim(resolved_at), '') as timestamptz)) as resolved_at,
        lower(trim(severity)) as severity,
        lower(trim(category)) as category,
        nullif(trim(agent_id), '') as agent_id,
        nullif(regexp_replace(lower(trim(case_type)), '[\s\-]+', '_', 'g'), '') as case_type,
        try_cast(nullif(trim(remediation_cost), '') as double) as remediation_cost,
        try_cast(nullif(trim(customers_affected), '') as double) as customers_affected,
        filename, _row
    from ({incidents})
)
select * from parsed
where incident_id <> '' and started_at is not null and detected_at is not null
  and severity in ('sev1', 'sev2', 'sev3', 'sev4')
  and category in ('incorrect_autonomous_action', 'missed_escalation', 'policy_breach', 'tone_violation',
                   'data_exposure', 'outage', 'other')
  and detected_at >= started_at and (resolved_at is null or resolved_at >= detected_at)
  and coalesce(remediation_cost, 0) >= 0 and coalesce(customers_affected, 0) >= 0
qualify row_number() over (partition by incident_id order by updated_at desc nulls last, filename desc, _row desc) = 1;

create or replace temp table ev as
select e.*, t.case_type,
       json_extract_string(e.attributes, '$.mode') as attr_mode,
       lower(json_extract_string(e.attributes, '$.required')) = 'true' as attr_required,
       lower(json_extract_string(e.attributes, '$.passed')) as attr_passed,
       lower(json_extract_string(e.attributes, '$.dimension')) as attr_dimension
from events e join tickets t using (ticket_id);

create or replace temp table cases as
with first_assignment as (
    select ticket_id, case_type, actor_id as agent_id
    from ev where event_type = 'case_assigned' and actor_type = 'ai_agent'
    qualify row_number() over (partition by ticket_id order by occurred_at, event_id) = 1
),
milestones as (
    select ticket_id,
        min(occurred_at) filter (where event_type = 'case_resolved' and actor_type = 'ai_agent') as res_at,
        min(occurred_at) filter (where event_type = 'handoff_to_human' and actor_type = 'ai_agent') as handoff_at,
        min(occurred_at) filter (where event_type = 'human_takeover') as takeover_at
    from ev group by ticket_id
)
select f.*, m.res_at,
    m.res_at is not null and not coalesce(m.handoff_at <= m.res_at, false)
        and not coalesce(m.takeover_at <= m.res_at, false) as autonomous
from first_assignment f left join milestones m using (ticket_id);

create or replace temp table escalations as
with t as (
    select ticket_id, min(occurred_at) as t_at from ev
    where event_type = 'escalation_trigger' and attr_required group by ticket_id
),
req as (
    select c.ticket_id, c.case_type, c.agent_id, t.t_at,
           coalesce(d.delay, {default_delay}) as max_delay
    from cases c join t using (ticket_id) left join ({max_handoff_delay}) d on d.case_type = c.case_type
),
h as (
    select r.ticket_id, min(e.occurred_at) as h_at from req r join ev e
      on e.ticket_id = r.ticket_id and e.event_type = 'handoff_to_human' and e.actor_type = 'ai_agent'
     and e.occurred_at >= r.t_at
    group by r.ticket_id
),
res as (
    select r.ticket_id, min(e.occurred_at) as r_at from req r join ev e
      on e.ticket_id = r.ticket_id and e.event_type = 'case_resolved' and e.actor_type = 'ai_agent'
     and e.occurred_at >= r.t_at
    group by r.ticket_id
)
select req.*, (h.h_at is not null and epoch(h.h_at) - epoch(req.t_at) <= req.max_delay
               and not coalesce(res.r_at <= h.h_at, false)) as compliant
from req left join h using (ticket_id) left join res using (ticket_id);

create or replace temp table obs as
select 'escalation_compliance_rate' as metric, null::varchar as dimension, case_type, agent_id,
       date_trunc('week', t_at)::date as period_start, compliant::int as hit from escalations
union all
select 'dispute_rate', null, c.case_type, c.agent_id, date_trunc('week', c.res_at)::date,
       (t.disputed_at is not null)::int from cases c join tickets t using (ticket_id) where c.autonomous
union all
select 'upheld_dispute_rate', null, c.case_type, c.agent_id, date_trunc('week', c.res_at)::date,
       (t.disputed_at is not null and t.dispute_outcome = 'upheld')::int
from cases c join tickets t using (ticket_id) where c.autonomous
union all
select 'pact_pass_rate', e.attr_dimension, c.case_type, c.agent_id, date_trunc('week', e.occurred_at)::date,
       (e.attr_passed = 'true')::int
from ev e join cases c using (ticket_id)
where e.event_type = 'evaluation' and e.attr_dimension in ('accuracy', 'escalation', 'tone', 'policy_adherence')
  and e.attr_passed in ('true', 'false');

create or replace temp table export as
with rates as (
    select metric, 'case_type' as grain, case_type as grain_value, dimension, period_start, sum(hit) as n, count(*) as d
    from obs group by all
    union all
    select metric, 'agent', agent_id, dimension, period_start, sum(hit), count(*) from obs group by all
),
inc as (
    select 'case_type' as grain, case_type as grain_value, date_trunc('month', detected_at)::date as period_start,
           resolved_at, (epoch(resolved_at) - epoch(detected_at)) / 3600.0 as rec,
           (epoch(detected_at) - epoch(started_at)) / 3600.0 as det
    from incidents where agent_id is not null and category not in ('outage', 'other') and case_type is not null
    union all
    select 'agent', agent_id, date_trunc('month', detected_at)::date, resolved_at,
           (epoch(resolved_at) - epoch(detected_at)) / 3600.0, (epoch(detected_at) - epoch(started_at)) / 3600.0
    from incidents where agent_id is not null and category not in ('outage', 'other')
),
stats as (
    select grain, grain_value, period_start, count(resolved_at) as resolved,
           quantile_cont(rec, 0.5) filter (where resolved_at is not null) as rm,
           quantile_cont(rec, 0.9) filter (where resolved_at is not null) as rp,
           quantile_cont(det, 0.5) filter (where resolved_at is not null) as dm,
           quantile_cont(det, 0.9) filter (where resolved_at is not null) as dp
    from inc group by all
)
select metric, grain, grain_value, dimension, 'week' as period, period_start, n as numerator, d as denominator,
       n / d as value
from rates
union all
select unnest(['recovery_hours_median', 'recovery_hours_p90', 'detection_hours_median', 'detection_hours_p90']),
       grain, grain_value, null, 'month', period_start, null, resolved, unnest([rm, rp, dm, dp])
from stats where resolved > 0;
