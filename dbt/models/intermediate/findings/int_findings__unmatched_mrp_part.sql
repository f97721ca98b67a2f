{#
    unmatched_mrp_part (medium; part_crosswalk): a part the MRP knows and the ERP does not
    (part_aliases.match_method = 'mrp_only'). One finding per part, naming every MRP spelling
    of it: the MRP may spell one part several ways (e.g. RETURNS in its demand history, returns
    in its parameters), each an alias of the same part.
#}

{% set kind = {
    'finding_type': 'unmatched_mrp_part',
    'change_target': 'part_crosswalk',
    'source_model': 'part_aliases',
} %}

with

part_aliases as {{ not_materialized() }} (

    select * from {{ ref('part_aliases') }}

),

unmatched_mrp_part_numbers as (

    select
        canonical_part_id,
        min(source_part_number) as mrp_part_number,
        min(normalized_part_number) as normalized_part_number,
        count(*) as n_mrp_part_numbers,
        {{ dbt.listagg('source_part_number', "', '", 'order by source_part_number') }}
            as mrp_part_numbers,
        {{ dbt.listagg('source_tables', "'; '", 'order by source_part_number') }}
            as source_tables
    from part_aliases
    where match_method = 'mrp_only'
    group by canonical_part_id

),

unmatched_parts as (

    select
        canonical_part_id,
        'part_aliases' as check_name,
        'medium' as severity,
        {{ finding_evidence([
            ['mrp_part_number', 'string'],
            ['mrp_part_numbers', 'string'],
            ['normalized_part_number', 'string'],
            ['source_tables', 'string'],
        ]) }} as evidence,
        case
            when n_mrp_part_numbers > 1 then 'Map MRP part numbers '
            else 'Map MRP part number '
        end
        || mrp_part_numbers
        || ' to its ERP part number with a part_crosswalk row, or create the ERP item.'
            as proposed_change
    from unmatched_mrp_part_numbers

),

final as (

    {{ finding_rows('unmatched_parts', kind) }}

)

select * from final
