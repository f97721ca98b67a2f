{#
    Incremental builds of the large facts (README "Incremental builds"): a run with one new day
    of extracts recomputes the keys that day touched, not the whole history.

    Every row an incremental model writes carries built_at, the start of the dbt invocation
    that wrote it (incremental_built_at). A model reads from its upstream model only the rows
    written since its own last build (changed_since_last_build), works out which of its keys
    they touch, recomputes those keys from the whole upstream and replaces them
    (delete+insert on unique_key). Staging models read raw rows loaded after the newest
    loaded_at they hold (incremental_watermark('loaded_at')): "latest extract wins", so a later
    extract's version of a key always replaces the kept one.

    Incremental on DuckDB only (incremental_materialization): dbt-spark has no delete+insert,
    so on Spark these models stay tables (make test-spark).

    A model is rebuilt from scratch (incremental_reset, its pre-hook deletes every row, so the
    model's own SQL then selects everything) when an extract was retracted from raw since its
    last build (raw._load_log.retracted_at: rows left raw, and rows that left must leave the
    models), or when one of the upstream incremental models it names was itself rebuilt from
    scratch since (all its rows are newer than this model's). dbt's --full-refresh rebuilds
    them too; the pipeline passes it when any file of the dbt project changed since the last
    build (defs/ops/build_gate.py), since a changed model, macro, seed or var may change rows
    no delta touches.
#}

{# (`target is defined`: sqlfluff renders the models without a target) #}
{% macro incremental_materialization() -%}
    {{ return('table' if target is defined and target.type != 'duckdb' else 'incremental') }}
{%- endmacro %}

{#
    The start of this dbt invocation (UTC, as in run_timestamp, but never pinned: builds must
    stay apart): the built_at of every row this build writes.
#}
{% macro incremental_built_at() -%}
    cast('{{ run_started_at }}' as timestamp)
{%- endmacro %}

{# The largest `column` this model holds; the start of time when it holds no row. #}
{% macro incremental_watermark(column) -%}
    coalesce(
        (select max({{ column }}) from {{ this }}),
        cast('1900-01-01 00:00:00' as timestamp)
    )
{%- endmacro %}

{# A condition: the row of `relation` was written after this model's last build. #}
{% macro changed_since_last_build(relation) -%}
    {{ relation }}.built_at > {{ incremental_watermark('built_at') }}
{%- endmacro %}

{#
    Pre-hook of every incremental model: empty the table (so this build selects everything)
    when an extract was retracted since its last build, or when one of `upstream` (names of
    incremental models) was rebuilt from scratch since. Does nothing in a first or full build.
#}
{% macro incremental_reset(upstream=[]) -%}
    {%- if execute and is_incremental() -%}
        {%- set load_log = adapter.get_relation(
            database=this.database, schema='raw', identifier='_load_log'
        ) -%}
        {%- set conditions = [] -%}
        {%- if load_log is not none -%}
            {%- do conditions.append(
                'exists (select 1 from ' ~ load_log ~ ' where retracted_at > '
                ~ incremental_watermark('built_at') ~ ')'
            ) -%}
        {%- endif -%}
        {%- for name in upstream -%}
            {%- do conditions.append(
                '(select min(built_at) from ' ~ ref(name) ~ ') > '
                ~ incremental_watermark('built_at')
            ) -%}
        {%- endfor -%}
        {%- if conditions -%}
            delete from {{ this }} where {{ conditions | join(' or ') }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
