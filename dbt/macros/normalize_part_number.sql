{#
    Deterministic part-number normalisation (DESIGN.md, "Part reconciliation"): upper case,
    every whitespace character (surrounding and inner) and the separators - _ . / removed.
    A value with nothing left is null. Python twin: tooling/part_numbers.py
    normalize_part_number; both are held to the same cases by tests.

    \s covers ASCII whitespace; \pZ adds Unicode separators such as the no-break space;
    \x{0B}, \x{1C}-\x{1F} and \x{85} complete Python's definition of whitespace.
#}
{% macro normalize_part_number(column) -%}
    nullif(
        upper({{ regexp_replace_all(column, "'[\\s\\x{0B}\\x{1C}-\\x{1F}\\x{85}\\pZ./_-]+'", "''") }}),
        ''
    )
{%- endmacro %}
