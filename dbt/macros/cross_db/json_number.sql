{#
    A number from a JSON object text (a finding's evidence), null when absent or not a number:
    DuckDB json_extract_string, Spark get_json_object.
#}
{% macro json_number(json_text, key) -%}
    {{ return(adapter.dispatch('json_number', 'plansignal')(json_text, key)) }}
{%- endmacro %}

{% macro default__json_number(json_text, key) -%}
    try_cast(json_extract_string({{ json_text }}, '$.{{ key }}') as double)
{%- endmacro %}

{% macro spark__json_number(json_text, key) -%}
    cast(get_json_object({{ json_text }}, '$.{{ key }}') as double)
{%- endmacro %}

{#- A number as text with at most two decimals (for impact_basis). -#}
{% macro number_text(expression) -%}
    cast({{ round_double(expression, 2) }} as {{ dbt.type_string() }})
{%- endmacro %}
