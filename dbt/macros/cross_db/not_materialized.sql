{#
    `name as {{ not_materialized() }} (...)`: the CTE is read where it is used, never copied.
    DuckDB materializes every CTE a query references more than once: it copies the whole
    relation first (all of its rows, before any filter of a consumer). An import CTE
    (`select * from {{ ref(...) }}`) and a pass-through or filter over one cost less read
    again than copied: the netting's full build 2.6 s instead of 4.4 s, its daily build 1.2 s
    instead of 2.0 s, the trends 9.0 s instead of 9.8 s (docs/performance.md). The models mark
    every import CTE so (tests/test_sql_style.py); a CTE that computes (aggregates, windows)
    stays materialized where it is read twice. Spark inlines CTEs itself and has no keyword.
#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'plansignal')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}
