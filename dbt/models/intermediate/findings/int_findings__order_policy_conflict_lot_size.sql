{#
    order_policy_conflict, check mrp_lot_size (medium; mrp_parameters): the MRP lot size of a
    part at a plant breaks the ERP order policy of a supplier (below its minimum order quantity
    or not a multiple of its order multiple; mart_order_policy_review.has_lot_size_conflict).
    One finding per part, supplier and plant; the proposal is the nearest lot the supplier
    accepts.
#}

{% set kind = {
    'finding_type': 'order_policy_conflict',
    'change_target': 'mrp_parameters',
    'source_model': 'mart_order_policy_review',
} %}

with

order_policy_review as {{ not_materialized() }} (

    select * from {{ ref('mart_order_policy_review') }}

),

lot_size_conflicts as (

    select
        canonical_part_id,
        supplier_id,
        plant,
        'mrp_lot_size' as check_name,
        'medium' as severity,
        {{ finding_evidence([
            ['canonical_part_number', 'string'],
            ['lot_size_policy', 'string'],
            ['mrp_minimum_lot_size', 'number'],
            ['min_order_qty', 'number'],
            ['order_multiple', 'number'],
            ['below_min_order_qty', 'boolean', 'is_mrp_lot_below_min_order_qty'],
            ['not_order_multiple', 'boolean', 'is_mrp_lot_not_order_multiple'],
            ['proposed_mrp_lot_size', 'number'],
            ['proposed_lot_size_field', 'string'],
        ]) }} as evidence,
        'Align the MRP lot size of ' || canonical_part_number || ' at plant ' || plant
        || ' (' || lot_size_policy || ' '
        || cast(mrp_minimum_lot_size as {{ dbt.type_string() }})
        || ') with the ERP policy of supplier ' || supplier_id || ' (minimum order quantity '
        || cast(min_order_qty as {{ dbt.type_string() }}) || ', multiple '
        || cast(order_multiple as {{ dbt.type_string() }}) || '): set '
        || proposed_lot_size_field || ' to '
        || cast(proposed_mrp_lot_size as {{ dbt.type_string() }}) || '.' as proposed_change
    from order_policy_review
    where has_lot_size_conflict

),

final as (

    {{ finding_rows('lot_size_conflicts', kind, keys=['supplier_id', 'plant']) }}

)

select * from final
