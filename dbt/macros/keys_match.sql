{#
    The condition that two relations agree on a composite key of same-named columns:
    `left.k1 = right.k1 and left.k2 = right.k2 ...`. The models join on their grains (canonical
    part and supplier, canonical part and plant, PO number and line) in many places; this
    writes such a condition once, so a join names its relations and its key and nothing else.
    Plain equality: rows with a null key column match nothing, as in the written-out form.
#}
{% macro keys_match(left, right, columns) -%}
    {%- for column in columns -%}
        {{ left }}.{{ column }} = {{ right }}.{{ column }}
        {%- if not loop.last %}
            and {% endif -%}
    {%- endfor -%}
{%- endmacro %}

{# The grains the models join on most, as keys_match's `columns`. #}
{% macro part_supplier_key() -%}
    {{ return(['canonical_part_id', 'supplier_id']) }}
{%- endmacro %}

{% macro part_plant_key() -%}
    {{ return(['canonical_part_id', 'plant']) }}
{%- endmacro %}

{% macro po_line_key() -%}
    {{ return(['po_number', 'po_line']) }}
{%- endmacro %}
