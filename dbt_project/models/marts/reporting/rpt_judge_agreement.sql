-- Judge agreement: how often the automated evaluator (auto_eval) and human QA
-- (human_qa) give the same verdict on the same case and pact dimension, with
-- Cohen's kappa (agreement beyond chance).
--
-- A pair is one case and dimension that both evaluators judged; when an
-- evaluator judged it more than once, its latest verdict counts. A pair
-- belongs to the week (Monday) of the later of its two evaluations, when the
-- comparison became possible. Rows per grain (all, case_type, agent - the
-- case's agent), dimension (each, and 'all' pooled) and period: 'week' (that
-- week's pairs) and 'trailing_window' (the policy's evidence window of weeks
-- ending with that week).
with evaluations as (
    select * from {{ ref('fct_evaluations') }}
    where evaluator in ('auto_eval', 'human_qa')
        and passed is not null
        and dimension in ('accuracy', 'escalation', 'tone', 'policy_adherence')
),

defaults as (
    select evidence_window_weeks from {{ ref('stg_policy__defaults') }}
),

latest as (
    select
        *,
        row_number() over (
            partition by ticket_id, dimension, evaluator order by evaluated_at desc, event_id desc
        ) as verdict_rank
    from evaluations
),

pairs as (
    select
        automated.ticket_id,
        automated.case_type,
        automated.agent_id,
        automated.dimension,
        automated.passed as auto_passed,
        human.passed as human_passed,
        {{ week_start('case when automated.evaluated_at > human.evaluated_at then automated.evaluated_at else human.evaluated_at end') }}
            as pair_week
    from latest as automated
    inner join latest as human
        on human.ticket_id = automated.ticket_id
        and human.dimension = automated.dimension
        and human.evaluator = 'human_qa'
        and human.verdict_rank = 1
    where automated.evaluator = 'auto_eval' and automated.verdict_rank = 1
),

grained as (
    {% for grain, column in [('all', "'all'"), ('case_type', 'case_type'), ('agent', 'agent_id')] %}
    {% for dimension in ['dimension', "'all'"] %}
    select
        '{{ grain }}' as grain,
        {{ column }} as grain_value,
        {{ dimension }} as dimension,
        pair_week,
        auto_passed,
        human_passed
    from pairs
    where {{ column }} is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

weeks as (
    select distinct evaluated_week as period_start from {{ ref('fct_evaluations') }}
),

windowed as (
    select
        grained.grain,
        grained.grain_value,
        grained.dimension,
        'week' as period,
        grained.pair_week as period_start,
        1 as window_weeks,
        grained.auto_passed,
        grained.human_passed
    from grained
    union all
    select
        grained.grain,
        grained.grain_value,
        grained.dimension,
        'trailing_window',
        weeks.period_start,
        defaults.evidence_window_weeks,
        grained.auto_passed,
        grained.human_passed
    from weeks
    cross join defaults
    inner join grained
        on {{ dbt.datediff('grained.pair_week', 'weeks.period_start', 'day') }} >= 0
        and {{ dbt.datediff('grained.pair_week', 'weeks.period_start', 'day') }} < 7 * defaults.evidence_window_weeks
),

counts as (
    select
        grain,
        grain_value,
        dimension,
        period,
        period_start,
        cast(max(window_weeks) as {{ dbt.type_bigint() }}) as window_weeks,
        cast(count(*) as {{ dbt.type_bigint() }}) as pairs,
        cast(sum(case when auto_passed and human_passed then 1 else 0 end) as {{ dbt.type_bigint() }}) as both_passed,
        cast(sum(case when auto_passed and not human_passed then 1 else 0 end) as {{ dbt.type_bigint() }}) as auto_passed_human_failed,
        cast(sum(case when not auto_passed and human_passed then 1 else 0 end) as {{ dbt.type_bigint() }}) as auto_failed_human_passed,
        cast(sum(case when not auto_passed and not human_passed then 1 else 0 end) as {{ dbt.type_bigint() }}) as both_failed
    from windowed
    group by grain, grain_value, dimension, period, period_start
),

final as (
    select
        grain,
        grain_value,
        dimension,
        period,
        period_start,
        window_weeks,
        pairs,
        both_passed,
        auto_passed_human_failed,
        auto_failed_human_passed,
        both_failed,
        both_passed + both_failed as agreements,
        cast(both_passed + both_failed as double) / pairs as agreement_rate,
        {{ wilson_lower('both_passed + both_failed', 'pairs') }} as agreement_lower,
        {{ wilson_upper('both_passed + both_failed', 'pairs') }} as agreement_upper,
        cast(both_passed + auto_passed_human_failed as double) / pairs as auto_pass_rate,
        cast(both_passed + auto_failed_human_passed as double) / pairs as human_pass_rate,
        {{ expected_agreement('both_passed', 'auto_passed_human_failed', 'auto_failed_human_passed', 'both_failed') }}
            as expected_agreement,
        {{ cohens_kappa('both_passed', 'auto_passed_human_failed', 'auto_failed_human_passed', 'both_failed') }}
            as cohens_kappa
    from counts
)

select * from final
