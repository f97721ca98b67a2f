{#
    Building JSON text in portable SQL (string concatenation), for the evidence column of
    mart_master_data_exceptions. json_object takes a list of [key, kind, sql_expression] with
    kind one of 'string', 'number', 'boolean', 'raw' (already JSON); nulls become null.
#}
{% macro json_object(pairs) -%}
    {%- set parts = ["'{'"] -%}
    {%- for key, kind, expression in pairs -%}
        {%- do parts.append("'" ~ ('' if loop.first else ', ') ~ '"' ~ key ~ '": ' ~ "'") -%}
        {%- if kind == 'string' -%}
            {%- do parts.append(json_string(expression)) -%}
        {%- elif kind == 'number' -%}
            {%- do parts.append(
                "coalesce(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "), 'null')"
            ) -%}
        {%- elif kind == 'boolean' -%}
            {%- do parts.append(
                "(case when " ~ expression ~ " then 'true' when not " ~ expression
                ~ " then 'false' else 'null' end)"
            ) -%}
        {%- elif kind == 'raw' -%}
            {%- do parts.append("coalesce(" ~ expression ~ ", 'null')") -%}
        {%- else -%}
            {%- do exceptions.raise_compiler_error("json_object: unknown kind " ~ kind) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do parts.append("'}'") -%}
    ({{ parts | join(' || ') }})
{%- endmacro %}

{% macro json_string(expression) -%}
    (case
        when {{ expression }} is null then 'null'
        else '"' || {{ json_escape("cast(" ~ expression ~ " as " ~ dbt.type_string() ~ ")") }} || '"'
    end)
{%- endmacro %}

{#
    Escape a value for a JSON string (without the quotes), as DuckDB's to_json spells it:
    backslash, double quote and the short escapes \b \t \n \f \r, every other control
    character (U+0000 to U+001F, which JSON forbids raw in a string) as \u00XX; nothing else
    changes. Part numbers and descriptions may hold any of them. Spark SQL string literals
    treat backslash as an escape character, DuckDB's do not: hence the dispatch.
#}
{% macro json_escape(expression) -%}
    {{ return(adapter.dispatch('json_escape', 'plansignal')(expression)) }}
{%- endmacro %}

{#- Nested replace() for engines without a JSON string function; backslash is how the
    dialect's string literal spells one backslash. -#}
{% macro json_escape_by_replace(expression, backslash) -%}
    {%- set short_escapes = {8: 'b', 9: 't', 10: 'n', 12: 'f', 13: 'r'} -%}
    {%- set escaped = namespace(sql="replace(replace(" ~ expression ~ ", '" ~ backslash ~ "', '"
        ~ backslash ~ backslash ~ "'), '\"', '" ~ backslash ~ "\"')") -%}
    {%- for code in range(32) -%}
        {%- set spelling = short_escapes[code] if code in short_escapes
            else 'u' ~ ('%04X' | format(code)) -%}
        {%- set escaped.sql = "replace(" ~ escaped.sql ~ ", chr(" ~ code ~ "), '" ~ backslash
            ~ spelling ~ "')" -%}
    {%- endfor -%}
    {{ return(escaped.sql) }}
{%- endmacro %}

{% macro default__json_escape(expression) -%}
    {{ json_escape_by_replace(expression, '\\\\') }}
{%- endmacro %}

{# Spark SQL (the default's syntax, spelled out for the Spark target): in a Spark literal
   '\\' is one backslash. #}
{% macro spark__json_escape(expression) -%}
    {{ json_escape_by_replace(expression, '\\\\') }}
{%- endmacro %}

{# DuckDB: its own JSON string encoder, without the surrounding quotes. #}
{% macro duckdb__json_escape(expression) -%}
    {%- set quoted = "cast(to_json(cast(" ~ expression ~ " as varchar)) as varchar)" -%}
    substr({{ quoted }}, 2, length({{ quoted }}) - 2)
{%- endmacro %}
