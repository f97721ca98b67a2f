{#
    duplicate_part_records (medium; erp_item_master): one canonical part has several ERP item
    records. The proposal keeps the canonical record and blocks the others.
#}

{% set kind = {
    'finding_type': 'duplicate_part_records',
    'change_target': 'erp_item_master',
    'source_model': 'dim_parts',
} %}

with

parts as {{ not_materialized() }} (

    select * from {{ ref('dim_parts') }}

),

duplicated_parts as (

    select
        canonical_part_id,
        'erp_items' as check_name,
        'medium' as severity,
        {{ finding_evidence([
            ['canonical_part_number', 'string'],
            ['n_erp_item_records', 'number'],
            ['erp_item_part_numbers', 'string'],
            ['n_active_item_records', 'number'],
        ]) }} as evidence,
        'Keep one ERP item for ' || canonical_part_number || ' and block the other '
        || cast(n_erp_item_records - 1 as {{ dbt.type_string() }})
        || ' record(s) of ' || erp_item_part_numbers
        || ', moving their purchasing info and open orders to ' || canonical_part_number
        || '.' as proposed_change
    from parts
    where n_erp_item_records > 1

),

final as (

    {{ finding_rows('duplicated_parts', kind) }}

)

select * from final
