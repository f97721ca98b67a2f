{#
    The text matched by a regular expression (group 0 = the whole match), '' when nothing
    matches: DuckDB and Spark SQL share regexp_extract(string, pattern, group).
#}
{% macro regexp_extract(expression, pattern, group=0) -%}
    {{ return(adapter.dispatch('regexp_extract', 'plansignal')(expression, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_extract(expression, pattern, group) -%}
    regexp_extract({{ expression }}, {{ pattern }}, {{ group }})
{%- endmacro %}

{% macro duckdb__regexp_extract(expression, pattern, group) -%}
    regexp_extract({{ expression }}, {{ pattern }}, {{ group }})
{%- endmacro %}
