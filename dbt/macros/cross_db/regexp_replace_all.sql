{#
    Replace every match of a regular expression. DuckDB replaces only the first match unless
    given the 'g' option; Spark SQL (the default implementation) always replaces every match.
#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'plansignal')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{#
    Spark SQL string literals treat a backslash as an escape character ('\s' is 's'), so the
    pattern and replacement literals are passed with their backslashes doubled: the regular
    expression Spark (java.util.regex) sees is the one written, as DuckDB (RE2) sees it. Both
    dialects accept the classes the models use (\s, \x{0B}, \pZ). A replacement must not
    refer to groups: Java writes them $1, RE2 \1.
#}
{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ spark_backslashes(pattern) }}, {{ spark_backslashes(replacement) }})
{%- endmacro %}

{% macro postgres__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}
