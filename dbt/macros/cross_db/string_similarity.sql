{#
    Similarity of two strings between 0 (nothing in common) and 1 (equal); null when either
    side is null. DuckDB and Spark: Jaro-Winkler similarity (the same scores). Default, for
    engines with a levenshtein function only: 1 - Levenshtein distance / length of the longer
    string (other scores: part_match_review would differ).
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

{#
    Spark SQL: DuckDB's Jaro-Winkler (jaro_winkler_similarity, Max Bachmann's jaro_winkler),
    rebuilt from higher-order functions so part_match_review scores the same on both engines:
    - on characters (code points), as DuckDB does;
    - 0 when either string is empty; two one-character strings: 1 if equal, else 0;
    - match window w = max(length)/2 - 1 (integer division); each character of the right
      string, in order, is matched to the first not yet matched equal character of the left
      string within w positions; transpositions = matched pairs whose characters differ, taken
      in order on both sides, halved (integer division);
    - jaro = (m/len_left + m/len_right + (m - t)/m) / 3, 0 without matches;
    - when jaro > 0.7: + common_prefix * 0.1 * (1 - jaro), common_prefix = equal leading
      characters, at most 4.
    Jaro is the same sequence of double operations, so the same double. The Winkler step
    differs in the last bit at most: DuckDB's build fuses that multiply-add (one rounding),
    Spark SQL rounds twice (tests/test_spark.py holds the two to 1e-12 on random pairs;
    part_match_review rounds the similarities to 4 decimals). Cost: length(left) x
    length(right) per pair, fine for part numbers and descriptions of candidate pairs.
    transform(array(value), v -> ...) binds a value to a name.
#}
{% macro spark__string_similarity(left, right) -%}
    (case
        when ({{ left }}) is null or ({{ right }}) is null then null
        else element_at(transform(
            array(named_struct(
                'p', {{ left }},
                't', {{ right }}
            )),
            jw_text -> element_at(transform(
                array(named_struct(
                    'p', jw_text.p,
                    't', jw_text.t,
                    'lp', length(jw_text.p),
                    'lt', length(jw_text.t),
                    'w', cast(greatest(length(jw_text.p), length(jw_text.t)) div 2 as int) - 1,
                    'prefix_max', least(length(jw_text.p), length(jw_text.t), 4)
                )),
                jw -> case
                    when jw.lp = 0 or jw.lt = 0 then cast(0 as double)
                    when jw.lp = 1 and jw.lt = 1 then
                        cast(case when jw.p = jw.t then 1 else 0 end as double)
                    else element_at(transform(
                        array(aggregate(
                            sequence(0, jw.lt - 1),
                            named_struct(
                                'i', cast(array() as array<int>),
                                'j', cast(array() as array<int>)
                            ),
                            (jw_acc, jw_j) -> element_at(transform(
                                array(array_min(filter(
                                    sequence(0, jw.lp - 1),
                                    jw_i -> abs(jw_i - jw_j) <= jw.w
                                        and substr(jw.p, jw_i + 1, 1) = substr(jw.t, jw_j + 1, 1)
                                        and not array_contains(jw_acc.i, jw_i)
                                ))),
                                jw_found -> case
                                    when jw_found is null then jw_acc
                                    else named_struct(
                                        'i', concat(jw_acc.i, array(jw_found)),
                                        'j', concat(jw_acc.j, array(jw_j))
                                    )
                                end
                            ), 1)
                        )),
                        jw_match -> case
                            when size(jw_match.i) = 0 then cast(0 as double)
                            else element_at(transform(
                                array((
                                    cast(size(jw_match.i) as double) / cast(jw.lp as double)
                                    + cast(size(jw_match.i) as double) / cast(jw.lt as double)
                                    + cast(
                                        size(jw_match.i)
                                        - size(filter(
                                            zip_with(
                                                jw_match.j,
                                                array_sort(jw_match.i),
                                                (jw_tj, jw_pi) ->
                                                    substr(jw.t, jw_tj + 1, 1)
                                                    != substr(jw.p, jw_pi + 1, 1)
                                            ),
                                            jw_differs -> jw_differs
                                        )) div 2
                                        as double
                                    ) / cast(size(jw_match.i) as double)
                                ) / cast(3 as double)),
                                jw_jaro -> case
                                    when jw_jaro > cast(0.7 as double) then
                                        jw_jaro
                                        + cast(coalesce(
                                            array_min(filter(
                                                sequence(0, jw.prefix_max - 1),
                                                jw_k -> substr(jw.p, jw_k + 1, 1)
                                                    != substr(jw.t, jw_k + 1, 1)
                                            )),
                                            jw.prefix_max
                                        ) as double) * cast(0.1 as double)
                                        * (cast(1 as double) - jw_jaro)
                                    else jw_jaro
                                end
                            ), 1)
                        end
                    ), 1)
                end
            ), 1)
        ), 1)
    end)
{%- endmacro %}
