{#
    Inverse of the standard normal cumulative distribution function (the z of a service level)
    in portable SQL: Peter Acklam's rational approximation, relative error below 1.2e-9.
    Only ln and sqrt are needed, so it runs on any warehouse (DuckDB has no built-in).
    null outside the open interval (0, 1).

    p is a SQL expression; it is repeated in the output, so pass a literal or a column. It is
    cast to double so literals are not computed as (overflowing) decimals.
#}
{% macro normal_inverse_cdf(p_expression) -%}
    {%- set p = "cast(" ~ p_expression ~ " as double)" -%}
    {%- set a = [-39.69683028665376, 220.9460984245205, -275.9285104469687,
                 138.3577518672690, -30.66479806614716, 2.506628277459239] -%}
    {%- set b = [-54.47609879822406, 161.5858368580409, -155.6989798598866,
                 66.80131188771972, -13.28068155288572, 1.0] -%}
    {%- set c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838,
                 -2.549732539343734, 4.374664141464968, 2.938163982698783] -%}
    {%- set d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996,
                 3.754408661907416, 1.0] -%}
    {%- set p_low = 0.02425 -%}
    {%- set q_low = "sqrt(-2.0 * ln(" ~ p ~ "))" -%}
    {%- set q_high = "sqrt(-2.0 * ln(1.0 - (" ~ p ~ ")))" -%}
    {%- set q_mid = "((" ~ p ~ ") - 0.5)" -%}
    {%- set r_mid = "(" ~ q_mid ~ " * " ~ q_mid ~ ")" -%}
    (case
        when ({{ p }}) is null or ({{ p }}) <= 0 or ({{ p }}) >= 1 then null
        when ({{ p }}) < {{ p_low }} then
            {{ _horner(c, q_low) }} / {{ _horner(d, q_low) }}
        when ({{ p }}) <= {{ 1 - p_low }} then
            {{ _horner(a, r_mid) }} * {{ q_mid }} / {{ _horner(b, r_mid) }}
        else
            -{{ _horner(c, q_high) }} / {{ _horner(d, q_high) }}
    end)
{%- endmacro %}

{# Polynomial c0*x^(n-1) + ... + c(n-1) in Horner form, as SQL. #}
{% macro _horner(coefficients, x) -%}
    {%- set ns = namespace(expression="(" ~ coefficients[0] ~ ")") -%}
    {%- for coefficient in coefficients[1:] -%}
        {%- set ns.expression = "(" ~ ns.expression ~ " * " ~ x ~ " + (" ~ coefficient ~ "))" -%}
    {%- endfor -%}
    {{ ns.expression }}
{%- endmacro %}
