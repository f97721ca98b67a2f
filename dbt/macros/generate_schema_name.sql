{#
    Models land in the schema named by their folder's +schema exactly (staging, intermediate,
    marts, seeds), not in <target_schema>_<custom_schema> as dbt does by default. Nodes without
    a custom schema use the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
