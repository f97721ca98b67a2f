{#
    "Latest extract wins" (DESIGN.md), decided in one place for every staging model: rank the
    rows of one landing key by load order, newest first. Ties (the same key twice in one
    extract) are broken by file name, then row hash, so the choice is deterministic.
    Rank 1 is the row staging keeps.
#}
{% macro latest_extract_rank(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by loaded_at desc, source_file desc, row_hash desc
    )
{%- endmacro %}
