{#
    "Latest extract wins" (DESIGN.md), decided in one place for every staging model: of the
    rows of one landing key, keep the one loaded last. Ties (the same key twice in one
    extract) are broken by file name, then row hash, so the choice is deterministic.
    `relation` is the staging model's renamed CTE; it carries landing_provenance_columns().
#}
{% macro latest_extract(relation, key_columns) -%}
    select ranked.*
    from (
        select
            {{ relation }}.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by loaded_at desc, source_file desc, row_hash desc
            ) as extract_rank
        from {{ relation }}
    ) as ranked
    where ranked.extract_rank = 1
{%- endmacro %}

{# The landing columns every raw table carries (ingest adds them), as staging names them. #}
{% macro landing_provenance_columns() -%}
    _source_file as source_file,
        cast(_loaded_at as timestamp) as loaded_at,
        _row_hash as row_hash
{%- endmacro %}
