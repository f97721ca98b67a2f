{#
    The day of the run. Receipts dated after it are future-dated: quarantined, never counted,
    and never the end of the lead-time window (int_goods_receipts__netted). The one place the
    clock enters the models; var run_date ('YYYY-MM-DD') pins it for reproducible rebuilds.
#}
{% macro run_date() -%}
    {%- if var('run_date', none) -%}
        cast('{{ var("run_date") }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}
