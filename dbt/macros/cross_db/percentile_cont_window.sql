{#
    Continuous (linear-interpolation) percentile as a window function over a frame, e.g. the
    running median of the lines ordered so far:

        percentile_cont_window('lead_time_days', 0.5,
            'partition by part order by order_date rows between unbounded preceding and current row')

    DuckDB evaluates framed quantiles with a merge-sort tree (n log n per partition, never a
    re-sort per row). Spark: percentile(x, f) over (...). The ANSI default needs a warehouse
    that accepts ordered-set aggregates with an OVER clause.
#}
{% macro percentile_cont_window(expression, fraction, over_clause) -%}
    {{ return(adapter.dispatch('percentile_cont_window', 'plansignal')(
        expression, fraction, over_clause
    )) }}
{%- endmacro %}

{% macro default__percentile_cont_window(expression, fraction, over_clause) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }}) over ({{ over_clause }})
{%- endmacro %}

{% macro duckdb__percentile_cont_window(expression, fraction, over_clause) -%}
    quantile_cont({{ expression }}, {{ fraction }}) over ({{ over_clause }})
{%- endmacro %}

{% macro spark__percentile_cont_window(expression, fraction, over_clause) -%}
    percentile({{ expression }}, {{ fraction }}) over ({{ over_clause }})
{%- endmacro %}
