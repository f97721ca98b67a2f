{#
    conflicting_attributes, check erp_items (medium; erp_item_master): the ERP items merged into
    one canonical part disagree on description, unit of measure, procurement type or
    manufacturer part number (dim_parts.has_conflicting_attributes).
#}

{% set kind = {
    'finding_type': 'conflicting_attributes',
    'change_target': 'erp_item_master',
    'source_model': 'dim_parts',
} %}

with

parts as {{ not_materialized() }} (

    select * from {{ ref('dim_parts') }}

),

conflicting_parts as (

    select
        canonical_part_id,
        'erp_items' as check_name,
        'medium' as severity,
        {{ finding_evidence([
            ['canonical_part_number', 'string'],
            ['erp_item_part_numbers', 'string'],
            ['n_distinct_descriptions', 'number'],
            ['n_distinct_uoms', 'number'],
            ['n_distinct_procurement_types', 'number'],
            ['n_distinct_manufacturer_part_numbers', 'number'],
            ['canonical_description', 'string', 'description'],
            ['canonical_uom', 'string', 'uom'],
        ]) }} as evidence,
        'Align description, unit of measure, procurement type and manufacturer part number of '
        || erp_item_part_numbers || ' with the canonical record ' || canonical_part_number
        || '.' as proposed_change
    from parts
    where has_conflicting_attributes

),

final as (

    {{ finding_rows('conflicting_parts', kind) }}

)

select * from final
