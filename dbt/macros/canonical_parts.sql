{#
    Source rows on their canonical parts. A model that calls these has the import CTE
    part_aliases (int_part_aliases); several source part numbers merged into one canonical part
    each bring their own rows, and these say once how such rows are joined, ranked or added up.
#}

{#
    The join condition of `relation` (a source_system's staged table with part_number) to
    part_aliases: the alias row of its part number, which carries the canonical part.
#}
{% macro part_alias_match(relation, source_system) -%}
    part_aliases.source_system = '{{ source_system }}'
            and {{ relation }}.part_number = part_aliases.source_part_number
{%- endmacro %}

{#
    The records of `relation` (a source_system's staged table with part_number, loaded_at and
    `key`) on their canonical parts, with record_rank 1 for the one record that wins among a
    canonical part's records for the same `key`: by `order_by` (SQL terms), then the latest
    loaded, then the smallest part number. Selects the canonical part's id and number, `key`,
    part_number and `columns`. The canonical ERP purchasing info and MRP parameters use it.
#}
{% macro ranked_canonical_records(relation, source_system, key, columns, order_by) -%}
    select
        part_aliases.canonical_part_id,
        part_aliases.canonical_part_number,
        {{ relation }}.{{ key }},
        {{ relation }}.part_number,
        {%- for column in columns %}
        {{ relation }}.{{ column }},
        {%- endfor %}
        row_number() over (
            partition by part_aliases.canonical_part_id, {{ relation }}.{{ key }}
            order by
                {%- for term in order_by %}
                {{ term }},
                {%- endfor %}
                {{ relation }}.loaded_at desc,
                {{ relation }}.part_number asc
        ) as record_rank
    from {{ relation }}
    inner join part_aliases
        on {{ part_alias_match(relation, source_system) }}
{%- endmacro %}

{#
    `quantity` of `relation` (a source_system's staged table with part_number) summed per
    canonical part and `keys`: the rows of merged part numbers add up. The safety stock
    review's weekly demand and the availability check's on-hand stock use it.
#}
{% macro sum_by_canonical_part(relation, source_system, keys, quantity) -%}
    select
        part_aliases.canonical_part_id,
        {%- for key in keys %}
        {{ relation }}.{{ key }},
        {%- endfor %}
        sum({{ relation }}.{{ quantity }}) as {{ quantity }}
    from {{ relation }}
    inner join part_aliases
        on {{ part_alias_match(relation, source_system) }}
    group by
        part_aliases.canonical_part_id,
        {%- for key in keys %}
        {{ relation }}.{{ key }}{{ ',' if not loop.last }}
        {%- endfor %}
{%- endmacro %}
