{#-
  redact_pii(column): the free text of `column` with personal data replaced.

  Applied in staging to every free-text column (ticket subject and
  description, incident summary, agent-log attributes which hold message
  text), so no layer above staging ever sees the original; the raw layer
  keeps it for authorised use. The same rules are implemented in Python in
  trustloop/trust/privacy.py (kept in step by tests/trust/test_pii.py).

  In this order:
  1. e-mail addresses                     -> [email redacted]
  2. payment-card numbers: 13-19 digits written contiguously or in groups
     joined by single spaces or dashes, redacted only when the Luhn
     checksum holds (a 16-digit order number that fails Luhn is kept).
     Any run of whole digit groups inside a longer run is tried too, so
     "4111 1111 1111 1111 12/28" still loses its card. Digits right after
     a '.' or ',' (decimal fractions, e.g. in JSON numbers) or inside a
     word (ids, hex hashes: a letter right before or after) are not tried.
  3. phone numbers: international (+ and 7-15 digits), North American
     ((415) 555-0123, 415.555.0123, 415-555-0123) and trunk-prefixed
     national (020 7946 0123), but never a part of a longer run of digit
     groups (so a kept 16-digit number stays whole)  -> [phone redacted]

  Replacement tokens hold no quote or backslash, so JSON text stays JSON.
  A value with no '@' and fewer than 7 digits (the shortest phone number)
  cannot hold any of these and is returned as it is, unexamined.
-#}

{% macro redact_pii(column) -%}
    {{ return(adapter.dispatch('redact_pii', 'trustloop')(column)) }}
{%- endmacro %}

{# the patterns, shared by both engines (RE2 and Java regex agree on these) #}
{% macro _pii_email_re() -%}[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}{%- endmacro %}
{% macro _pii_digit_run_re() -%}(^|[^0-9A-Za-z.,])[0-9]+([ -][0-9]+)*[A-Za-z]?{%- endmacro %}
{% macro _pii_phone_intl_re() -%}(^|[^0-9A-Za-z])\+[0-9]([ .()-]{0,2}[0-9]){6,14}{%- endmacro %}
{% macro _pii_phone_nanp_re() -%}(^|^[ .-]|[^0-9 .-]|[^0-9][ .-])(\([0-9]{3}\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}($|[^0-9 .-]|[ .-][^0-9]|[ .-]$){%- endmacro %}
{% macro _pii_phone_trunk_re() -%}(^|^[ .-]|[^0-9 .-]|[^0-9][ .-])0[0-9]{2,4}[ -][0-9]{3,4}[ -]?[0-9]{3,4}($|[^0-9 .-]|[ .-][^0-9]|[ .-]$){%- endmacro %}

{% macro default__redact_pii(column) -%}
    {{ return(trustloop.duckdb__redact_pii(column)) }}
{%- endmacro %}

{% macro duckdb__redact_pii(column) -%}
(
    -- nothing to redact without an '@' or at least 7 digits (the shortest phone number): skip the work. The
    -- digits are counted by deleting them with translate (a regexp_replace of every non-digit took 11 s of
    -- the 23-26 s that deriving 7.4M agent-log events took)
    case when strpos({{ column }}, '@') = 0
        and length({{ column }}) - length(translate({{ column }}, '0123456789', '')) < 7
    then {{ column }} else
    regexp_replace(regexp_replace(regexp_replace(
        list_reduce(
            -- the Luhn-valid card numbers among all whole-group sub-runs of every digit run
            list_filter(
                list_distinct(flatten(list_transform(
                    list_transform(
                        list_filter(
                            regexp_extract_all({{ column }}, '{{ trustloop._pii_digit_run_re() }}'),
                            lambda pii_m: not regexp_matches(pii_m, '[A-Za-z]$')
                        ),
                        lambda pii_m: regexp_extract(pii_m, '[0-9]+([ -][0-9]+)*')
                    ),
                    lambda pii_run: flatten(list_transform(
                        range(len(regexp_extract_all(pii_run, '[0-9]+'))),
                        lambda pii_i: list_transform(
                            range(pii_i + 1, len(regexp_extract_all(pii_run, '[0-9]+')) + 1),
                            lambda pii_j: array_to_string(
                                list_slice(regexp_extract_all(pii_run, '[0-9]+'), pii_i + 1, pii_j), ''
                            )
                        )
                    ))
                ))),
                lambda pii_d: length(pii_d) between 13 and 19
                    and list_sum(list_transform(
                        range(length(pii_d)),
                        lambda pii_k: case
                            when pii_k % 2 = 1 then
                                cast(substr(pii_d, length(pii_d) - pii_k, 1) as integer) * 2
                                - case when cast(substr(pii_d, length(pii_d) - pii_k, 1) as integer) > 4 then 9 else 0 end
                            else cast(substr(pii_d, length(pii_d) - pii_k, 1) as integer)
                        end
                    )) % 10 = 0
            ),
            -- replace each, allowing one space or dash between its digits
            lambda pii_text, pii_card: regexp_replace(
                pii_text, array_to_string(string_split(pii_card, ''), '[ -]?'), '[card redacted]', 'g'
            ),
            regexp_replace({{ column }}, '{{ trustloop._pii_email_re() }}', '[email redacted]', 'g')
        ),
        '{{ trustloop._pii_phone_intl_re() }}', '\1[phone redacted]', 'g'),
        '{{ trustloop._pii_phone_nanp_re() }}', '\1[phone redacted]\3', 'g'),
        '{{ trustloop._pii_phone_trunk_re() }}', '\1[phone redacted]\2', 'g')
    end
)
{%- endmacro %}

{# Spark SQL string literals treat a backslash as an escape: double it #}
{% macro _spark_literal(text) -%}{{ text | replace('\\', '\\\\') }}{%- endmacro %}

{% macro spark__redact_pii(column) -%}
(
    case when instr({{ column }}, '@') = 0 and length(regexp_replace({{ column }}, '[^0-9]', '')) < 7
    then {{ column }} else
    regexp_replace(regexp_replace(regexp_replace(
        aggregate(
            filter(
                array_distinct(flatten(transform(
                    transform(
                        filter(
                            regexp_extract_all({{ column }}, '{{ trustloop._spark_literal(trustloop._pii_digit_run_re()) }}', 0),
                            pii_m -> not (pii_m rlike '[A-Za-z]$')
                        ),
                        pii_m -> regexp_extract(pii_m, '([0-9]+([ -][0-9]+)*)', 1)
                    ),
                    pii_run -> flatten(transform(
                        sequence(0, size(regexp_extract_all(pii_run, '([0-9]+)', 1)) - 1),
                        pii_i -> transform(
                            sequence(pii_i + 1, size(regexp_extract_all(pii_run, '([0-9]+)', 1))),
                            pii_j -> array_join(
                                slice(regexp_extract_all(pii_run, '([0-9]+)', 1), pii_i + 1, pii_j - pii_i), ''
                            )
                        )
                    ))
                ))),
                pii_d -> length(pii_d) between 13 and 19
                    and aggregate(
                        sequence(0, length(pii_d) - 1), 0,
                        (pii_acc, pii_k) -> pii_acc + case
                            when pii_k % 2 = 1 then
                                cast(substr(pii_d, length(pii_d) - pii_k, 1) as int) * 2
                                - case when cast(substr(pii_d, length(pii_d) - pii_k, 1) as int) > 4 then 9 else 0 end
                            else cast(substr(pii_d, length(pii_d) - pii_k, 1) as int)
                        end
                    ) % 10 = 0
            ),
            regexp_replace({{ column }}, '{{ trustloop._spark_literal(trustloop._pii_email_re()) }}', '[email redacted]'),
            (pii_text, pii_card) -> regexp_replace(
                pii_text, array_join(split(pii_card, ''), '[ -]?'), '[card redacted]'
            )
        ),
        '{{ trustloop._spark_literal(trustloop._pii_phone_intl_re()) }}', '$1[phone redacted]'),
        '{{ trustloop._spark_literal(trustloop._pii_phone_nanp_re()) }}', '$1[phone redacted]$3'),
        '{{ trustloop._spark_literal(trustloop._pii_phone_trunk_re()) }}', '$1[phone redacted]$2')
    end
)
{%- endmacro %}
