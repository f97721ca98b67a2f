{#
    Similarity of two strings between 0 (nothing in common) and 1 (equal); null when either
    side is null. DuckDB: Jaro-Winkler similarity. Default (Spark SQL, also present in
    DuckDB): 1 - Levenshtein distance / length of the longer string.
#}
{% macro string_similarity(left, right) -%}
    {{ return(adapter.dispatch('string_similarity', 'plansignal')(left, right)) }}
{%- endmacro %}

{% macro default__string_similarity(left, right) -%}
    (
        1.0 - cast(levenshtein({{ left }}, {{ right }}) as double)
        / nullif(greatest(length({{ left }}), length({{ right }})), 0)
    )
{%- endmacro %}

{% macro duckdb__string_similarity(left, right) -%}
    jaro_winkler_similarity({{ left }}, {{ right }})
{%- endmacro %}
