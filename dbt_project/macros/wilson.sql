{#-
  Wilson score interval for a proportion num/den at z (default 95 %: 1.959964).
  den is a count; num a count or a sum of probabilities. NULL when den is 0. At
  num = 0 the lower bound is 0 and at num = den the upper bound is 1, exactly:
  the formula gives them only up to rounding (about -1e-17, or 1 - 1e-16),
  outside [0, 1] or on the wrong side of the rate.

  Every operation is spelled out in DOUBLE (z * z is exact in DECIMAL, then
  converted once), so DuckDB and Spark SQL evaluate the same IEEE operations in
  the same order and agree to the last bit. Left to themselves they would not:
  Spark keeps 2.0 * den and the like in DECIMAL and rounds at a different place.
  On DuckDB this spelling gives exactly the values of the plain formula
  ((num / den) + (z * z) / (2.0 * den) ...), checked for every count up to 400
  and a sample up to 2 million.
-#}
{% macro wilson_bound(num, den, z, sign) -%}
    {%- set n = 'cast(' ~ den ~ ' as double)' -%}
    {%- set rate = '(cast(' ~ num ~ ' as double) / ' ~ n ~ ')' -%}
    {%- set zz = 'cast(' ~ z ~ ' * ' ~ z ~ ' as double)' -%}
    (
        {{ rate }} + {{ zz }} / (2 * {{ n }})
        {{ sign }} cast({{ z }} as double) * sqrt(
            {{ rate }} * (1 - {{ rate }}) / {{ n }}
            + {{ zz }} / (4 * {{ n }} * {{ n }})
        )
    ) / (1 + {{ zz }} / {{ n }})
{%- endmacro %}

{% macro wilson_lower(num, den, z=None) -%}
    {%- set z = z or var('wilson_z') -%}
    case when {{ den }} > 0 and {{ num }} = 0 then 0.0
    when {{ den }} > 0 then
        {{ wilson_bound(num, den, z, '-') }}
    end
{%- endmacro %}

{% macro wilson_upper(num, den, z=None) -%}
    {%- set z = z or var('wilson_z') -%}
    case when {{ den }} > 0 and {{ num }} = {{ den }} then 1.0
    when {{ den }} > 0 then
        {{ wilson_bound(num, den, z, '+') }}
    end
{%- endmacro %}
