{#
    dbt.listagg on Spark, in order. dbt-spark's own spark__listagg ignores the order by clause
    (with a warning), so the text would depend on how Spark happened to collect the rows; this
    one (the root project's macro wins the dispatch of dbt.listagg) sorts like DuckDB's
    string_agg(... order by ...): collect (sort keys, value) pairs, sort them, drop null values,
    join. The order by clause is 'order by <expression>[, <expression> ...]', ascending only
    (keys are not expected to be null: array_sort puts null fields first, DuckDB last); ties
    are broken by the value, which DuckDB leaves open. No rows or only null values: null, like
    string_agg.
#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set keys = [] -%}
    {%- if order_by_clause -%}
        {%- set clause = order_by_clause | trim -%}
        {%- if clause[:8] | lower != 'order by' -%}
            {%- do exceptions.raise_compiler_error(
                "spark__listagg: expected 'order by ...', got " ~ order_by_clause
            ) -%}
        {%- endif -%}
        {%- for key in clause[8:].split(',') -%}
            {%- set key = key | trim -%}
            {%- if key.split() | length > 1 and key.split()[-1] | lower in ['asc', 'desc'] -%}
                {%- if key.split()[-1] | lower == 'desc' -%}
                    {%- do exceptions.raise_compiler_error(
                        "spark__listagg: descending order is not supported: " ~ order_by_clause
                    ) -%}
                {%- endif -%}
                {%- set key = key.split()[:-1] | join(' ') -%}
            {%- endif -%}
            {%- do keys.append(key) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set fields = [] -%}
    {%- for key in keys -%}
        {%- do fields.append("'k" ~ loop.index ~ "', " ~ key) -%}
    {%- endfor -%}
    {%- do fields.append("'v', " ~ measure) -%}
    {%- set sorted -%}
        transform(
            filter(
                array_sort(collect_list(named_struct({{ fields | join(', ') }}))),
                listagg_item -> listagg_item.v is not null
            ),
            listagg_item -> listagg_item.v
        )
    {%- endset -%}
    {%- if limit_num -%}
        {%- set sorted = "slice(" ~ sorted ~ ", 1, " ~ limit_num ~ ")" -%}
    {%- endif -%}
    element_at(transform(
        array({{ sorted }}),
        listagg_values -> case
            when size(listagg_values) = 0 then null
            else array_join(listagg_values, {{ delimiter_text }})
        end
    ), 1)
{%- endmacro %}
