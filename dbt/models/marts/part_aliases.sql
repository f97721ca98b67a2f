{# Every source part number of every system and the canonical part it maps to. #}

with

part_aliases as {{ not_materialized() }} (

    select * from {{ ref('int_part_aliases') }}

),

final as (

    select
        source_system,
        source_part_number,
        canonical_part_id,
        match_method,
        canonical_part_number,
        canonical_part_key,
        normalized_part_number,
        is_crosswalked,
        crosswalk_canonical_part_number,
        crosswalk_decided_by,
        crosswalk_decided_on,
        crosswalk_note,
        is_erp_item,
        source_tables,
        n_source_rows
    from part_aliases

)

select * from final
