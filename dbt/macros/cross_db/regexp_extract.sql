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

{# Spark SQL: backslashes of the pattern literal doubled (see spark__regexp_replace_all). #}
{% macro spark__regexp_extract(expression, pattern, group) -%}
    regexp_extract({{ expression }}, {{ spark_backslashes(pattern) }}, {{ group }})
{%- endmacro %}

{#
    A SQL string literal for Spark, whose parser reads a backslash as an escape character:
    every backslash doubled, so '[\s]' reaches Spark as the two characters \s, not as 's'.
    Column names and other expressions pass unchanged (they hold no backslash).
#}
{% macro spark_backslashes(literal) -%}
    {{ literal | replace('\\', '\\\\') }}
{%- endmacro %}
