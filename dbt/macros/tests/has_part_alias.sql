{#
    Generic test: every non-null part number in the column has an alias row in
    int_part_aliases / part_aliases for the given source system, i.e. maps to a canonical part
    (DESIGN.md: every source part number maps to exactly one canonical part).
#}
{% test has_part_alias(model, column_name, source_system, aliases='part_aliases') %}

with

source_part_numbers as (

    select distinct {{ column_name }} as source_part_number
    from {{ model }}
    where {{ column_name }} is not null

),

aliases as (

    select source_part_number
    from {{ ref(aliases) }}
    where source_system = '{{ source_system }}'

)

select source_part_numbers.source_part_number
from source_part_numbers
left join aliases
    on source_part_numbers.source_part_number = aliases.source_part_number
where aliases.source_part_number is null

{% endtest %}
