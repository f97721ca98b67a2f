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

{#
    The moment of the run, for the finding lifecycle (first_seen_at, last_seen_at,
    resolved_at): dbt's run_started_at (UTC), or var run_timestamp ('YYYY-MM-DD HH:MM:SS')
    to pin it. One value for the whole build.
#}
{% macro run_timestamp() -%}
    {%- if var('run_timestamp', none) -%}
        cast('{{ var("run_timestamp") }}' as timestamp)
    {%- else -%}
        {#- run_started_at is UTC; its text ends in +00:00, which the cast reads as UTC. -#}
        cast('{{ run_started_at }}' as timestamp)
    {%- endif -%}
{%- endmacro %}
