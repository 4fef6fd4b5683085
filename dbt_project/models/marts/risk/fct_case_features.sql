-- The risk model's training and scoring rows: one row per AI-handled case,
-- with the features known when the AI took the case (nothing that happens
-- later) and the outcome label is_handling_wrong.
--
-- Label: the AI's handling went wrong when the case carries one piece of
-- strong evidence (an upheld dispute, a linked incident other than an outage,
-- a non-compliant escalation, failed evaluations on two or more pact
-- dimensions) or two pieces of weak evidence (a pending dispute, a re-open
-- of the case - whoever resolved it -, a rejected suggestion, any failed
-- evaluation).
-- The label is final once the case is durable_window_days old at the data end
-- (is_label_mature); younger cases are scored but not trained on.
with cases as (
    select * from {{ ref('int_cases__ai_handling') }}
),

windows as (
    select case_type, data_end_at, durable_window_days from {{ ref('dim_autonomy_windows') }}
),

events as (
    select * from {{ ref('int_events__on_cases') }}
    where not is_orphan and is_known_event_type
),

tickets as (
    select ticket_id, customer_id, created_at from {{ ref('int_tickets__current') }}
),

evaluations as (
    select * from {{ ref('fct_evaluations') }}
    where passed is not null
),

escalations as (
    select ticket_id, is_compliant from {{ ref('fct_escalations') }}
),

incident_links as (
    select * from {{ ref('stg_incidents__ticket_links') }}
),

current_incidents as (
    select row_hash, incident_id, category from {{ ref('int_incidents__current') }}
),

-- the customer's first message at or before the AI took the case
first_message as (
    select
        events.ticket_id,
        events.attr_sentiment,
        events.attr_requested_human,
        row_number() over (partition by events.ticket_id order by events.occurred_at, events.event_id) as message_rank
    from events
    inner join cases on cases.ticket_id = events.ticket_id
    where events.event_type = 'customer_message'
        and events.actor_type = 'customer'
        and events.occurred_at <= cases.assigned_at
),

prior_cases as (
    select
        ticket_id,
        case
            when customer_id is not null
                then row_number() over (partition by customer_id order by created_at, ticket_id) - 1
        end as customer_prior_cases
    from tickets
),

case_evaluations as (
    select
        ticket_id,
        sum(case when passed then 0 else 1 end) as failed_evaluation_count,
        count(distinct case when not passed then dimension end) as failed_dimension_count
    from evaluations
    group by ticket_id
),

linked_incidents as (
    select distinct incident_links.ticket_id
    from incident_links
    inner join current_incidents on current_incidents.row_hash = incident_links.row_hash
    where coalesce(current_incidents.category, 'other') not in ('outage', 'other')
),

evidence as (
    select
        cases.ticket_id,
        coalesce(cases.disputed_at is not null and cases.dispute_outcome = 'upheld', false) as has_upheld_dispute,
        coalesce(
            cases.disputed_at is not null and coalesce(cases.dispute_outcome, 'pending') = 'pending', false
        ) as has_pending_dispute,
        linked_incidents.ticket_id is not null as has_linked_incident,
        coalesce(not escalations.is_compliant, false) as has_noncompliant_escalation,
        -- the AI resolved it, or a person sent or finished what the AI drafted or routed: weak either way
        coalesce(cases.reopened_count > 0, false) as has_reopen,
        coalesce(cases.rejected_suggestion_count > 0, false) as has_rejected_suggestion,
        coalesce(case_evaluations.failed_evaluation_count, 0) as failed_evaluation_count,
        coalesce(case_evaluations.failed_dimension_count, 0) as failed_dimension_count
    from cases
    left join linked_incidents on linked_incidents.ticket_id = cases.ticket_id
    left join escalations on escalations.ticket_id = cases.ticket_id
    left join case_evaluations on case_evaluations.ticket_id = cases.ticket_id
),

scored as (
    select
        *,
        (case when has_upheld_dispute then 1 else 0 end)
        + (case when has_linked_incident then 1 else 0 end)
        + (case when has_noncompliant_escalation then 1 else 0 end)
        + (case when failed_dimension_count >= 2 then 1 else 0 end) as strong_evidence_count,
        (case when has_pending_dispute then 1 else 0 end)
        + (case when has_reopen then 1 else 0 end)
        + (case when has_rejected_suggestion then 1 else 0 end)
        + (case when failed_evaluation_count >= 1 then 1 else 0 end) as weak_evidence_count
    from evidence
),

final as (
    select
        cases.ticket_id,
        cases.case_type,
        cases.assigned_at as handled_at,
        {{ week_start('cases.assigned_at') }} as handled_week,
        cases.agent_id,
        cases.agent_version,
        cases.agent_id || '@' || coalesce(cases.agent_version, 'unknown') as agent_release,
        cases.autonomy_mode,
        cases.channel,
        cases.priority,
        cases.confidence,
        cast(cases.amount_at_stake as double) as amount_at_stake,
        cases.amount_at_stake is not null as has_amount_at_stake,
        first_message.attr_sentiment as customer_sentiment,
        first_message.attr_requested_human as customer_requested_human,
        prior_cases.customer_prior_cases,
        cast(extract(hour from cases.assigned_at) as integer) as handled_hour,
        cast({{ dbt.datediff(dbt.date_trunc('week', 'cases.assigned_at'), 'cases.assigned_at', 'day') }} + 1 as integer)
            as handled_weekday,
        scored.has_upheld_dispute,
        scored.has_pending_dispute,
        scored.has_linked_incident,
        scored.has_noncompliant_escalation,
        scored.has_reopen,
        scored.has_rejected_suggestion,
        scored.failed_evaluation_count,
        scored.failed_dimension_count,
        scored.strong_evidence_count,
        scored.weak_evidence_count,
        scored.strong_evidence_count >= 1 or scored.weak_evidence_count >= 2 as is_handling_wrong,
        {{ dbt.dateadd('day', 'windows.durable_window_days', 'cases.assigned_at') }} as label_mature_at,
        coalesce(
            {{ dbt.dateadd('day', 'windows.durable_window_days', 'cases.assigned_at') }} <= windows.data_end_at, false
        ) as is_label_mature
    from cases
    inner join scored on scored.ticket_id = cases.ticket_id
    left join windows on windows.case_type = cases.case_type
    left join first_message on first_message.ticket_id = cases.ticket_id and first_message.message_rank = 1
    left join prior_cases on prior_cases.ticket_id = cases.ticket_id
)

select * from final
