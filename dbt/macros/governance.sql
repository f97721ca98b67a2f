{#
    The rows of a table the pipeline keeps across runs (schema governance of the pipeline
    database, written by dagster_project/warehouse after each publish), or no rows with the
    same columns before the first publish: so the first build, `dbt build --empty` and the
    unit tests need no table made beforehand. `columns`: [[name, 'string' | 'timestamp' |
    'integer' | 'float']].
#}
{% macro kept_table_or_empty(schema, identifier, columns) -%}
    {%- set types = {
        'string': dbt.type_string(),
        'timestamp': dbt.type_timestamp(),
        'integer': dbt.type_int(),
        'float': dbt.type_float(),
    } -%}
    {%- set relation = adapter.get_relation(
        database=target.database, schema=schema, identifier=identifier
    ) if execute else none -%}
    select
        {%- for column in columns %}
        {% if relation is not none -%}
            cast({{ column[0] }} as {{ types[column[1]] }})
        {%- else -%}
            cast(null as {{ types[column[1]] }})
        {%- endif %} as {{ column[0] }}{{ ',' if not loop.last }}
        {%- endfor %}
    {% if relation is not none -%}
    from {{ relation }}
    {%- else -%}
    where false
    {%- endif %}
{%- endmacro %}
