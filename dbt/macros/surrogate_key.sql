{#
    A stable surrogate key: md5 (dbt.hash, dispatched per adapter) of the given SQL
    expressions cast to text, nulls as '_null_', joined with '|'. Same idea as
    dbt_utils.generate_surrogate_key, without the package.

    Each value is escaped first ('~' -> '~~', '|' -> '~/', a literal '_null_' -> '~_null_'),
    so two different key tuples never join to the same text: part "A|B" at plant "C" and
    part "A" at plant "B|C" stay two keys, and a part numbered "_null_" is not a missing one.
    Values without '~' or '|' (and not '_null_') are unchanged, so their keys are the ones
    dbt_utils' scheme gives.
#}
{% macro surrogate_key(expressions) -%}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- set text = "cast(" ~ expression ~ " as " ~ dbt.type_string() ~ ")" -%}
        {%- do parts.append(
            "case when " ~ text ~ " is null then '_null_'"
            ~ " when " ~ text ~ " = '_null_' then '~_null_'"
            ~ " else replace(replace(" ~ text ~ ", '~', '~~'), '|', '~/') end"
        ) -%}
        {%- if not loop.last -%}{%- do parts.append("'|'") -%}{%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
