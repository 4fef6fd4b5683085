{#- The column is the table's key: never null and never repeated (what `unique` and `not_null` check
    together, in one scan and one check). One failing row per offending key value - a repeated value,
    or NULL - with the number of rows that carry it. No hub packages: our own test. -#}
{% test primary_key(model, column_name) %}
select {{ column_name }} as key_value, count(*) as rows_with_key
from {{ model }}
group by {{ column_name }}
having count(*) > 1 or {{ column_name }} is null
{% endtest %}
