{#
    The characters of a string in sorted order ('PN4711' -> '1147NP'): a blocking key that puts
    numbers with transposed characters side by side.
#}
{% macro sorted_characters(expression) -%}
    {{ return(adapter.dispatch('sorted_characters', 'plansignal')(expression)) }}
{%- endmacro %}

{% macro default__sorted_characters(expression) -%}
    array_join(array_sort(split({{ expression }}, '')), '')
{%- endmacro %}

{% macro duckdb__sorted_characters(expression) -%}
    array_to_string(list_sort(string_split({{ expression }}, '')), '')
{%- endmacro %}

{# Spark SQL: split on the empty pattern gives the characters (no trailing empty string). #}
{% macro spark__sorted_characters(expression) -%}
    array_join(array_sort(split({{ expression }}, '')), '')
{%- endmacro %}
