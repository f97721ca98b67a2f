{#
    A stable surrogate key: md5 (dbt.hash, dispatched per adapter) of the given SQL
    expressions cast to text, nulls as '_null_', joined with '|'. Same idea as
    dbt_utils.generate_surrogate_key, without the package.
#}
{% macro surrogate_key(expressions) -%}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- do parts.append(
            "coalesce(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "), '_null_')"
        ) -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
