{#-
  Helpers of the reporting marts (ROI and judge agreement).
-#}

{# the cost assumptions of the policy file (trustloop/finance/costs.py ASSUMPTIONS) #}
{% macro roi_cost_names() -%}
    {{ return(['ai_cost_per_case', 'human_cost_per_case', 'review_cost_per_suggestion', 'dispute_cost']) }}
{%- endmacro %}

{# money: exact decimals, so sums and hand-computed expectations agree to the cent #}
{% macro money(expr) -%}
    cast({{ expr }} as {{ dbt.type_numeric() }})
{%- endmacro %}

{# a / b as double, NULL when b is 0 or NULL #}
{% macro safe_ratio(a, b) -%}
    case when {{ b }} <> 0 then cast({{ a }} as double) / cast({{ b }} as double) end
{%- endmacro %}

{#
  The derived ROI columns, from the additive ones of a CTE (used by rpt_roi_monthly and
  rpt_roi_total so that a total is recomputed from sums, never averaged):
  savings = baseline - actual; roi = savings / the AI's operating cost (AI + reviews);
  cost per durable resolution = the autonomous handling's cost / durable resolutions.
#}
{% macro roi_derived_columns() -%}
        baseline_cost - total_cost as savings,
        {{ trustloop.safe_ratio('baseline_cost - total_cost', 'ai_operating_cost') }} as roi,
        {{ trustloop.safe_ratio('durable_resolutions', 'autonomous_resolutions - pending_resolutions') }}
            as durable_resolution_rate,
        {{ trustloop.safe_ratio('autonomous_handling_cost', 'durable_resolutions') }} as cost_per_durable_resolution,
        pending_resolutions > 0 as is_provisional
{%- endmacro %}

{#
  Cohen's kappa from a 2x2 table of two raters' pass/fail verdicts (a = both pass,
  b = first pass / second fail, c = first fail / second pass, d = both fail).
  NULL when there are no pairs or when chance agreement is 1 (kappa undefined).
#}
{% macro expected_agreement(a, b, c, d) -%}
    case when ({{ a }} + {{ b }} + {{ c }} + {{ d }}) > 0 then
        (
            cast(({{ a }} + {{ b }}) as double) * ({{ a }} + {{ c }})
            + cast(({{ c }} + {{ d }}) as double) * ({{ b }} + {{ d }})
        ) / (cast(({{ a }} + {{ b }} + {{ c }} + {{ d }}) as double) * ({{ a }} + {{ b }} + {{ c }} + {{ d }}))
    end
{%- endmacro %}

{% macro cohens_kappa(a, b, c, d) -%}
    case when ({{ a }} + {{ b }} + {{ c }} + {{ d }}) > 0
              and {{ trustloop.expected_agreement(a, b, c, d) }} < 1 then
        (
            cast(({{ a }} + {{ d }}) as double) / ({{ a }} + {{ b }} + {{ c }} + {{ d }})
            - {{ trustloop.expected_agreement(a, b, c, d) }}
        ) / (1 - {{ trustloop.expected_agreement(a, b, c, d) }})
    end
{%- endmacro %}
