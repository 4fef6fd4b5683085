{#-
  Small dispatched macros for the places where DuckDB and Spark SQL differ.
  Models call these (and dbt's own cross-database macros), never an
  engine-specific function directly, so one model runs on both engines.
-#}

{#
  The latest instant a landing timestamp can credibly hold: the build's clock (UTC) plus a day for
  clocks that run ahead. credible_max(ts) is the latest value of ts up to it (the latest of all when
  every value is later: a machine whose clock is behind the data). It keeps a mistyped year on one row
  (2062 for 2026) from becoming the end of the data, which would move every window into an empty future.
#}
{% macro credible_until() -%}
    {{ return(adapter.dispatch('credible_until', 'trustloop')()) }}
{%- endmacro %}
{% macro default__credible_until() -%}
    (cast(timezone('UTC', now()) as timestamp) + interval 1 day)
{%- endmacro %}
{% macro spark__credible_until() -%}
    (current_timestamp() + interval 1 day)
{%- endmacro %}
{% macro credible_max(ts) -%}
    coalesce(max(case when {{ ts }} <= {{ trustloop.credible_until() }} then {{ ts }} end), max({{ ts }}))
{%- endmacro %}

{# text value of a top-level key of a JSON object held as text #}
{% macro json_str(column, key) -%}
    {{ return(adapter.dispatch('json_str', 'trustloop')(column, key)) }}
{%- endmacro %}
{% macro default__json_str(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}
{% macro spark__json_str(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}

{#
  Several keys of one JSON object read with one parse: json_fields(column, keys) is an expression to
  select once (e.g. in a CTE, as `fields`); json_field(fields, column, keys, key) then reads one key,
  as json_str would. DuckDB parses the text once for the whole list of paths; Spark reads each key
  with get_json_object, as json_str does.
-#}
{% macro json_fields(column, keys) -%}
    {{ return(adapter.dispatch('json_fields', 'trustloop')(column, keys)) }}
{%- endmacro %}
{% macro default__json_fields(column, keys) -%}
    json_extract_string({{ column }}, [{% for key in keys %}'$.{{ key }}'{% if not loop.last %}, {% endif %}{% endfor %}])
{%- endmacro %}
{% macro spark__json_fields(column, keys) -%}
    cast(null as string)
{%- endmacro %}

{% macro json_field(fields, column, keys, key) -%}
    {{ return(adapter.dispatch('json_field', 'trustloop')(fields, column, keys, key)) }}
{%- endmacro %}
{% macro default__json_field(fields, column, keys, key) -%}
    {{ fields }}[{{ keys.index(key) + 1 }}]
{%- endmacro %}
{% macro spark__json_field(fields, column, keys, key) -%}
    {{ trustloop.json_str(column, key) }}
{%- endmacro %}

{#
  Surrounding white space of any kind removed: the set the loader trims from every landed value
  (tl_trim in trustloop/ingest/normalise.sql: space, tab, LF, VT, FF, CR, NEL, no-break, figure,
  narrow no-break and ideographic spaces). Both engines' trim(x) removes spaces only. On DuckDB, a
  value with none of them at its ends (nearly every one) is returned without scanning the set.
#}
{% macro trim_space(expr) -%}
    {{ return(adapter.dispatch('trim_space', 'trustloop')(expr)) }}
{%- endmacro %}
{% macro default__trim_space(expr) -%}
    case
        when ord({{ expr }}) <= 32 or ord({{ expr }}) in (133, 160, 8199, 8239, 12288)
            or ord(right({{ expr }}, 1)) <= 32 or ord(right({{ expr }}, 1)) in (133, 160, 8199, 8239, 12288)
        then trim({{ expr }}, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(133) || chr(160)
                              || chr(8199) || chr(8239) || chr(12288))
        else {{ expr }}
    end
{%- endmacro %}
{% macro spark__trim_space(expr) -%}
    trim(BOTH '\u0020\u0009\u000A\u000B\u000C\u000D\u0085\u00A0\u2007\u202F\u3000' FROM {{ expr }})
{%- endmacro %}

{# an enum value as the landing contract reads it: letter case and surrounding white space ignored, blank
   is no value #}
{% macro text_enum(expr) -%}
    nullif(lower({{ trustloop.trim_space(expr) }}), '')
{%- endmacro %}

{#
  a number as the landing contract spells one (decimal digits, an optional fraction and exponent;
  surrounding white space ignored), when finite; NULL otherwise. A bare cast would also read NaN,
  Infinity, 1_000 (DuckDB) or 1e400 (as infinity).
#}
{% macro text_number(expr) -%}
    {{ return(adapter.dispatch('text_number', 'trustloop')(trustloop.trim_space(expr))) }}
{%- endmacro %}
{% macro default__text_number(text) -%}
    case
        when regexp_full_match({{ text }}, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?')
            and isfinite(try_cast({{ text }} as double))
        then try_cast({{ text }} as double)
    end
{%- endmacro %}
{# try_cast: NULL for a non-number also where ANSI mode is on (Databricks SQL); dbt-spark turns it off #}
{% macro spark__text_number(text) -%}
    case
        when {{ text }} rlike '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$'
            and abs(try_cast({{ text }} as double)) < try_cast('Infinity' as double)
        then try_cast({{ text }} as double)
    end
{%- endmacro %}

{# boolean of a text value: true/false (also the words true/false/1/0/yes/no) #}
{% macro text_bool(expr) -%}
    case {{ trustloop.text_enum(expr) }}
        when 'true' then true when '1' then true when 'yes' then true
        when 'false' then false when '0' then false when 'no' then false
    end
{%- endmacro %}

{# boolean of a JSON attribute: true/false (also the words true/false/1/0/yes/no) #}
{% macro json_bool(column, key) -%}
    {{ trustloop.text_bool(trustloop.json_str(column, key)) }}
{%- endmacro %}

{# exact seconds between two timestamps (b - a), fractional seconds kept #}
{% macro seconds_between(a, b) -%}
    {{ return(adapter.dispatch('seconds_between', 'trustloop')(a, b)) }}
{%- endmacro %}
{% macro default__seconds_between(a, b) -%}
    (epoch({{ b }}) - epoch({{ a }}))
{%- endmacro %}
{# DuckDB's epoch() is microseconds / 1e6 as DOUBLE: the same arithmetic, so both engines agree to the bit #}
{% macro spark__seconds_between(a, b) -%}
    (cast(unix_micros({{ b }}) as double) / cast(1000000 as double)
        - cast(unix_micros({{ a }}) as double) / cast(1000000 as double))
{%- endmacro %}

{# continuous quantile with linear interpolation between order statistics #}
{% macro quantile_cont(expr, p) -%}
    {{ return(adapter.dispatch('quantile_cont', 'trustloop')(expr, p)) }}
{%- endmacro %}
{% macro default__quantile_cont(expr, p) -%}
    quantile_cont({{ expr }}, {{ p }})
{%- endmacro %}
{#
  Spark's percentile() interpolates as lo * (1 - d) + hi * d in two roundings; DuckDB's
  quantile_cont computes the same with a fused multiply-add, fma(lo, 1 - d, hi * d), which
  differs in the last bit about one time in ten. So on Spark: the order statistics of the
  sorted values at RN = (n - 1) * p, interpolated by Java's exactly rounded Math.fma
  (reflect() returns its text, which reads back to the same double).
#}
{% macro spark__quantile_cont(expr, p) -%}
    {%- set sorted = 'array_sort(collect_list(cast(' ~ expr ~ ' as double)))' -%}
    {%- set rn = '(cast(size(' ~ sorted ~ ') - 1 as double) * cast(' ~ p ~ ' as double))' -%}
    {%- set d = '(' ~ rn ~ ' - floor(' ~ rn ~ '))' -%}
    case
        when size({{ sorted }}) = 0 then null
        when floor({{ rn }}) = ceil({{ rn }}) then element_at({{ sorted }}, cast(floor({{ rn }}) as int) + 1)
        else cast(java_method(
            'java.lang.Math', 'fma',
            element_at({{ sorted }}, cast(floor({{ rn }}) as int) + 1),
            1 - {{ d }},
            element_at({{ sorted }}, cast(ceil({{ rn }}) as int) + 1) * {{ d }}
        ) as double)
    end
{%- endmacro %}

{# ISO week (Monday) and calendar month starts, as DATE #}
{% macro week_start(ts) -%}
    cast({{ dbt.date_trunc('week', ts) }} as date)
{%- endmacro %}
{% macro month_start(ts) -%}
    cast({{ dbt.date_trunc('month', ts) }} as date)
{%- endmacro %}

{# add seconds to a timestamp #}
{% macro add_seconds(ts, seconds) -%}
    {{ return(adapter.dispatch('add_seconds', 'trustloop')(ts, seconds)) }}
{%- endmacro %}
{% macro default__add_seconds(ts, seconds) -%}
    ({{ ts }} + to_microseconds(cast(round(({{ seconds }}) * 1000000) as bigint)))
{%- endmacro %}
{% macro spark__add_seconds(ts, seconds) -%}
    timestamp_micros(unix_micros({{ ts }}) + cast(round(({{ seconds }}) * 1000000) as bigint))
{%- endmacro %}

{# dbt.safe_cast compiles to a plain cast on duckdb: make it safe #}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}

{# one row per element of a list column (use in a select list) #}
{% macro explode_list(column) -%}
    {{ return(adapter.dispatch('explode_list', 'trustloop')(column)) }}
{%- endmacro %}
{% macro default__explode_list(column) -%}
    unnest({{ column }})
{%- endmacro %}
{% macro spark__explode_list(column) -%}
    explode({{ column }})
{%- endmacro %}

{#
  `with name as {{ trustloop.inlined() }} (...)`: on DuckDB, read the CTE where it is used instead of
  materialising it. DuckDB materialises a CTE read more than once; for a CTE that only filters a
  table of millions of rows, writing that copy (and spilling it under the memory cap) costs more
  than reading the table again at each use. Spark inlines CTEs anyway.
#}
{% macro inlined() -%}
    {{ return(adapter.dispatch('inlined', 'trustloop')()) }}
{%- endmacro %}
{% macro default__inlined() -%}
{%- endmacro %}
{% macro duckdb__inlined() -%}
    not materialized
{%- endmacro %}
