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
    Escape backslash, double quote and the control characters tab, line feed and carriage
    return for a JSON string. Spark SQL string literals treat backslash as an escape
    character, DuckDB's do not: hence the dispatch.
#}
{% macro json_escape(expression) -%}
    {{ return(adapter.dispatch('json_escape', 'plansignal')(expression)) }}
{%- endmacro %}

{% macro default__json_escape(expression) -%}
    replace(replace(replace(replace(replace({{ expression }},
        '\\', '\\\\'), '"', '\\"'), chr(9), '\\t'), chr(10), '\\n'), chr(13), '\\r')
{%- endmacro %}

{# Spark SQL (the default's syntax, spelled out for the Spark target): in a Spark literal
   '\\' is one backslash. #}
{% macro spark__json_escape(expression) -%}
    replace(replace(replace(replace(replace({{ expression }},
        '\\', '\\\\'), '"', '\\"'), chr(9), '\\t'), chr(10), '\\n'), chr(13), '\\r')
{%- endmacro %}

{% macro duckdb__json_escape(expression) -%}
    replace(replace(replace(replace(replace({{ expression }},
        '\', '\\'), '"', '\"'), chr(9), '\t'), chr(10), '\n'), chr(13), '\r')
{%- endmacro %}
