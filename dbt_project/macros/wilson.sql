{#-
  Wilson score interval for a proportion num/den at z (default 95 %: 1.959964).
  NULL when den is 0. At num = 0 the lower bound is 0 and at num = den the upper
  bound is 1, exactly: the formula gives them only up to rounding (about -1e-17,
  or 1 - 1e-16), outside [0, 1] or on the wrong side of the rate.
-#}
{% macro wilson_lower(num, den, z=None) -%}
    {%- set z = z or var('wilson_z') -%}
    case when {{ den }} > 0 and {{ num }} = 0 then 0.0
    when {{ den }} > 0 then
        (
            (cast({{ num }} as double) / {{ den }}) + ({{ z }} * {{ z }}) / (2.0 * {{ den }})
            - {{ z }} * sqrt(
                (cast({{ num }} as double) / {{ den }}) * (1 - cast({{ num }} as double) / {{ den }}) / {{ den }}
                + ({{ z }} * {{ z }}) / (4.0 * {{ den }} * {{ den }})
            )
        ) / (1 + ({{ z }} * {{ z }}) / {{ den }})
    end
{%- endmacro %}

{% macro wilson_upper(num, den, z=None) -%}
    {%- set z = z or var('wilson_z') -%}
    case when {{ den }} > 0 and {{ num }} = {{ den }} then 1.0
    when {{ den }} > 0 then
        (
            (cast({{ num }} as double) / {{ den }}) + ({{ z }} * {{ z }}) / (2.0 * {{ den }})
            + {{ z }} * sqrt(
                (cast({{ num }} as double) / {{ den }}) * (1 - cast({{ num }} as double) / {{ den }}) / {{ den }}
                + ({{ z }} * {{ z }}) / (4.0 * {{ den }} * {{ den }})
            )
        ) / (1 + ({{ z }} * {{ z }}) / {{ den }})
    end
{%- endmacro %}
