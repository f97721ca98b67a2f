{#
    order_policy_conflict, check po_quantity (low; erp_purchasing_info): PO lines of a part and
    supplier ordered below the ERP minimum order quantity or off its order multiple
    (mart_order_policy_review.has_po_quantity_breaks). One finding per part and supplier: the
    review repeats the PO counts on each plant row, hence distinct.
#}

{% set kind = {
    'finding_type': 'order_policy_conflict',
    'change_target': 'erp_purchasing_info',
    'source_model': 'mart_order_policy_review',
} %}

with

order_policy_review as {{ not_materialized() }} (

    select * from {{ ref('mart_order_policy_review') }}

),

po_quantity_breaks as (

    select distinct
        canonical_part_id,
        supplier_id,
        'po_quantity' as check_name,
        'low' as severity,
        {{ finding_evidence([
            ['canonical_part_number', 'string'],
            ['n_po_lines', 'number'],
            ['n_po_lines_below_min_order_qty', 'number'],
            ['n_po_lines_not_order_multiple', 'number'],
            ['example_po_line', 'string', 'example_breaking_po_line'],
            ['min_order_qty', 'number'],
            ['order_multiple', 'number'],
        ]) }} as evidence,
        cast(
            n_po_lines_below_min_order_qty + n_po_lines_not_order_multiple
            as {{ dbt.type_string() }}
        )
        || ' breach(es) of the ERP order policy of ' || canonical_part_number
        || ' from supplier ' || supplier_id || ' in '
        || cast(n_po_lines as {{ dbt.type_string() }}) || ' PO lines (e.g. '
        || example_breaking_po_line
        || '): correct the purchasing info or order in policy quantities.' as proposed_change
    from order_policy_review
    where has_po_quantity_breaks

),

final as (

    {{ finding_rows('po_quantity_breaks', kind, keys=['supplier_id']) }}

)

select * from final
