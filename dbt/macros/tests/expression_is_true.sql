{#
    Generic test: every row (matching the optional where clause) satisfies the boolean SQL
    expression (dbt_utils.expression_is_true without the package).
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not ({{ expression }})

{% endtest %}
