{#-
  Wilson score interval for a proportion num/den at z (default 95 %: 1.959964).
  NULL when den is 0.
-#}
{% macro wilson_lower(num, den, z=None) -%}
    {%- set z = z or var('wilson_z') -%}
    case when {{ den }} > 0 then
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
    case when {{ den }} > 0 then
        (
            (cast({{ num }} as double) / {{ den }}) + ({{ z }} * {{ z }}) / (2.0 * {{ den }})
            + {{ z }} * sqrt(
                (cast({{ num }} as double) / {{ den }}) * (1 - cast({{ num }} as double) / {{ den }}) / {{ den }}
                + ({{ z }} * {{ z }}) / (4.0 * {{ den }} * {{ den }})
            )
        ) / (1 + ({{ z }} * {{ z }}) / {{ den }})
    end
{%- endmacro %}
