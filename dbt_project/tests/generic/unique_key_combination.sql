{#- The columns together identify a row (NULLs compare equal). No hub packages: our own test. -#}
{% test unique_key_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
