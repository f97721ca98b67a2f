{#
    Proposed change set for the MRP parameters: lot size per MRP part number and plant, one
    row per MRP lot that breaks the ERP order policy of the part's preferred supplier (the
    order_policy_conflict findings with check mrp_lot_size; conflicts with other suppliers'
    policies stay findings only, since one MRP lot cannot suit every supplier).

    - target_field: fixed_lot_size (FIXED) or min_lot_size (other policies);
    - proposed_value: the smallest multiple of the supplier's order_multiple that is at least
      both the MRP lot and the supplier's min_order_qty (mart_order_policy_review);
    - confidence: high (a rule, not an estimate).
#}

with

order_policy_review as {{ not_materialized() }} (

    select * from {{ ref('mart_order_policy_review') }}

),

reference_dates as {{ not_materialized() }} (

    select * from {{ ref('int_reference_dates') }}

),

conflicts as (

    select * from order_policy_review
    where
        has_lot_size_conflict
        and is_preferred_supplier
        and mrp_part_number is not null

),

final as (

    select
        {{ surrogate_key([
            "'mrp_parameters'", 'conflicts.proposed_lot_size_field', 'conflicts.mrp_part_number',
            'conflicts.plant'
        ]) }} as change_id,
        {{ finding_id(
            "'order_policy_conflict'", "'mrp_lot_size'", 'conflicts.canonical_part_id',
            supplier_id='conflicts.supplier_id', plant='conflicts.plant'
        ) }} as finding_id,
        'MRP' as target_system,
        'mrp_parameters' as target_table,
        conflicts.proposed_lot_size_field as target_field,
        conflicts.mrp_part_number as part_number,
        conflicts.plant,
        conflicts.mrp_minimum_lot_size as current_value,
        conflicts.proposed_mrp_lot_size as proposed_value,
        'units' as unit,
        conflicts.proposed_mrp_lot_size - conflicts.mrp_minimum_lot_size as change_value,
        'high' as confidence,
        'MRP lot ' || cast(conflicts.mrp_minimum_lot_size as {{ dbt.type_string() }})
        || ' breaks the order policy of preferred supplier ' || conflicts.supplier_id
        || ' (minimum order quantity '
        || cast(conflicts.min_order_qty as {{ dbt.type_string() }}) || ', multiple '
        || cast(conflicts.order_multiple as {{ dbt.type_string() }}) || ').' as reason,
        {{ json_object([
            ['supplier_id', 'string', 'conflicts.supplier_id'],
            ['lot_size_policy', 'string', 'conflicts.lot_size_policy'],
            ['min_order_qty', 'number', 'conflicts.min_order_qty'],
            ['order_multiple', 'number', 'conflicts.order_multiple'],
            ['below_min_order_qty', 'boolean', 'conflicts.is_mrp_lot_below_min_order_qty'],
            ['not_order_multiple', 'boolean', 'conflicts.is_mrp_lot_not_order_multiple'],
        ]) }} as evidence,
        conflicts.canonical_part_id,
        conflicts.canonical_part_number,
        conflicts.supplier_id,
        reference_dates.reference_date
    from conflicts
    cross join reference_dates

)

select * from final
