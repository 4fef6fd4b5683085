-- Risk per case type: the mean predicted probability that the AI's handling
-- goes wrong, over the AI-handled cases of the evidence window, with a 95 %
-- Wilson-style interval (the Wilson score interval of the mean prediction,
-- with the window's case count as n: the uncertainty of a rate estimated from
-- that many cases, not the model's own error), next to the empirical rate of
-- the window's cases whose label is final.
--
-- The pre-hook creates an empty ml.case_predictions when the model has never
-- run (a fresh warehouse, `dbt run --empty`): the decisions then see no
-- prediction and hold. Its columns are those orchestration/assets/model.py writes.
{{ config(pre_hook=[
    "create schema if not exists ml",
    "create table if not exists ml.case_predictions (ticket_id {{ dbt.type_string() }}, case_type {{ dbt.type_string() }}, handled_at {{ dbt.type_timestamp() }}, predicted_risk double, model_version {{ dbt.type_string() }}, model_kind {{ dbt.type_string() }}, is_fallback boolean, data_split {{ dbt.type_string() }}, scored_at {{ dbt.type_timestamp() }})"
]) }}

with windows as (
    select * from {{ ref('dim_autonomy_windows') }}
),

policy as (
    select case_type, risk_appetite from {{ ref('int_case_types__policy') }}
),

features as (
    select ticket_id, case_type, handled_at, is_handling_wrong, is_label_mature
    from {{ ref('fct_case_features') }}
),

predictions as (
    select ticket_id, predicted_risk, model_version, model_kind, is_fallback
    from {{ source('ml', 'case_predictions') }}
),

window_cases as (
    select
        features.case_type,
        features.is_handling_wrong,
        features.is_label_mature,
        predictions.predicted_risk,
        predictions.model_version,
        predictions.model_kind,
        predictions.is_fallback
    from features
    inner join windows
        on windows.case_type = features.case_type
        and features.handled_at >= windows.window_start_at
        and features.handled_at < windows.window_end_at
    left join predictions on predictions.ticket_id = features.ticket_id
),

aggregated as (
    select
        case_type,
        count(*) as window_cases,
        count(predicted_risk) as predicted_cases,
        sum(predicted_risk) as predicted_risk_sum,
        avg(predicted_risk) as predicted_risk,
        min(predicted_risk) as predicted_risk_min,
        max(predicted_risk) as predicted_risk_max,
        sum(case when is_label_mature then 1 else 0 end) as labelled_cases,
        sum(case when is_label_mature and is_handling_wrong then 1 else 0 end) as labelled_wrong_cases,
        max(model_version) as model_version,
        max(model_kind) as model_kind,
        max(case when is_fallback then 1 else 0 end) = 1 as is_model_fallback
    from window_cases
    group by case_type
),

final as (
    select
        windows.case_type,
        windows.is_catalogued,
        windows.as_of_date,
        windows.window_start_at,
        windows.window_end_at,
        policy.risk_appetite,
        cast(coalesce(aggregated.window_cases, 0) as bigint) as window_cases,
        cast(coalesce(aggregated.predicted_cases, 0) as bigint) as predicted_cases,
        aggregated.predicted_risk,
        {{ wilson_lower('aggregated.predicted_risk_sum', 'aggregated.predicted_cases') }} as predicted_risk_lower,
        {{ wilson_upper('aggregated.predicted_risk_sum', 'aggregated.predicted_cases') }} as predicted_risk_upper,
        aggregated.predicted_risk_min,
        aggregated.predicted_risk_max,
        cast(coalesce(aggregated.labelled_cases, 0) as bigint) as labelled_cases,
        cast(coalesce(aggregated.labelled_wrong_cases, 0) as bigint) as labelled_wrong_cases,
        case
            when aggregated.labelled_cases > 0
                then cast(aggregated.labelled_wrong_cases as double) / aggregated.labelled_cases
        end as empirical_rate,
        {{ wilson_lower('aggregated.labelled_wrong_cases', 'aggregated.labelled_cases') }} as empirical_rate_lower,
        {{ wilson_upper('aggregated.labelled_wrong_cases', 'aggregated.labelled_cases') }} as empirical_rate_upper,
        aggregated.model_version,
        aggregated.model_kind,
        coalesce(aggregated.is_model_fallback, false) as is_model_fallback
    from windows
    inner join policy on policy.case_type = windows.case_type
    left join aggregated on aggregated.case_type = windows.case_type
)

select * from final
