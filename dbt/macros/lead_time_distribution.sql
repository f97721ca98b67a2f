{#
    How a lead-time column is distributed over a group of PO lines, the same statistics in
    calendar days and in working days (mart_supplier_lead_times): mean, median, p90, the
    recommendation quantile (recommended_lead_time_quantile), sample standard deviation, min
    and max, each named <statistic>_<column>.
#}
{% macro lead_time_distribution(column) -%}
    avg(cast({{ column }} as double)) as mean_{{ column }},
    {{ percentile_cont(column, 0.5) }} as median_{{ column }},
    {{ percentile_cont(column, 0.9) }} as p90_{{ column }},
    {{ percentile_cont(column, var('recommended_lead_time_quantile')) }} as quantile_{{ column }},
    stddev_samp({{ column }}) as stddev_{{ column }},
    min({{ column }}) as min_{{ column }},
    max({{ column }}) as max_{{ column }}
{%- endmacro %}
