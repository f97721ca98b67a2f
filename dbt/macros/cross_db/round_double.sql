{#
    round(x, digits) of a double, the same on every engine: the exact binary value of x rounded
    to `digits` decimals (0 or more), halves away from zero, as DuckDB's round does. Spark's
    round(x, d) rounds the shortest decimal spelling of x instead: 0.975 (a double a little
    below 0.975) gives 0.98 on Spark and 0.97 on DuckDB. Similarities, scores and means land
    on such ties often enough to matter (part_match_review, evidence texts), so the models
    round doubles with this macro. digits is a literal integer.
#}
{% macro round_double(expression, digits) -%}
    {%- if digits is not integer or digits < 0 -%}
        {%- do exceptions.raise_compiler_error(
            "round_double: digits must be a literal integer >= 0, got " ~ digits
        ) -%}
    {%- endif -%}
    {{ return(adapter.dispatch('round_double', 'plansignal')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_double(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro duckdb__round_double(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{#
    Spark SQL, bit for bit DuckDB's result. With a = |x| and m = 10^digits (exact, fewer than
    27 significant bits), p = a * m is rounded; its rounding error e is recovered exactly by
    Dekker's split of a into two 26-bit halves (a = ah + al, so ah * m and al * m are exact):
    e = (ah * m - p) + al * m. The exact a * m = p + e, so it rounds up when
    (p - floor(p) - 0.5) + e >= 0 (ties away from zero), whose sign floating point gets right.
    The result is that integer / m (correctly rounded, as DuckDB's), with the sign of x. Values
    whose a * m reaches 2^52 are integers at that scale and come back unchanged, as do
    infinities and NaN.
#}
{% macro spark__round_double(expression, digits) -%}
    {%- set m = "cast(" ~ (10 ** digits) ~ " as double)" -%}
    element_at(transform(
        array(cast({{ expression }} as double)),
        rd_x -> case
            when rd_x is null then null
            when isnan(rd_x) or abs(rd_x) = cast('Infinity' as double) then rd_x
            when abs(rd_x) * {{ m }} >= cast(4503599627370496 as double)
                then signum(rd_x) * (abs(rd_x) * {{ m }}) / {{ m }}
            else element_at(transform(
                array(named_struct(
                    'a', abs(rd_x),
                    'p', abs(rd_x) * {{ m }},
                    'ah', cast(134217729 as double) * abs(rd_x)
                        - (cast(134217729 as double) * abs(rd_x) - abs(rd_x))
                )),
                rd -> signum(rd_x) * (
                    floor(rd.p)
                    + case
                        when (rd.p - floor(rd.p) - cast(0.5 as double))
                            + ((rd.ah * {{ m }} - rd.p) + (rd.a - rd.ah) * {{ m }})
                            >= cast(0 as double) then 1
                        else 0
                    end
                ) / {{ m }}
            ), 1)
        end
    ), 1)
{%- endmacro %}
