{#
    Order policy review per canonical part, supplier (ERP purchasing info) and plant (MRP
    parameters; null when the part has none) (DESIGN.md "Order policy"):

    - MRP lot sizing vs ERP policy: the MRP lot (fixed_lot_size for FIXED, else min_lot_size;
      LOT_FOR_LOT and other policies without a stated lot are not compared) below the ERP
      min_order_qty, or not a multiple of the ERP order_multiple.
    - PO quantities vs ERP policy: the part/supplier's PO lines (every line, whatever its
      status or age: the quantities buyers actually ordered) whose order_qty is below
      min_order_qty or not a multiple of order_multiple. These counts are per part and
      supplier and repeat on each plant row.
    Multiples allow 1e-6 of rounding.
    - proposed_mrp_lot_size (only for a lot-size conflict): the smallest multiple of
      order_multiple that is at least both the MRP lot and min_order_qty, i.e. the nearest
      lot the supplier accepts without ordering less than MRP planned; it goes into
      fixed_lot_size (FIXED) or min_lot_size (other policies), named in proposed_lot_size_field.
#}

with

purchasing_info as {{ not_materialized() }} (

    select * from {{ ref('int_purchasing_info__canonical') }}

),

mrp_parameters as {{ not_materialized() }} (

    select * from {{ ref('int_mrp_parameters__canonical') }}

),

po_line_lead_times as {{ not_materialized() }} (

    select * from {{ ref('fct_po_line_lead_times') }}

),

po_lines_checked as (

    select
        po_line_lead_times.canonical_part_id,
        po_line_lead_times.supplier_id,
        po_line_lead_times.po_number,
        po_line_lead_times.po_line,
        purchasing_info.min_order_qty > 0
        and po_line_lead_times.order_qty < purchasing_info.min_order_qty - 0.000001
            as is_below_min_order_qty,
        purchasing_info.order_multiple > 0
        and abs(
            po_line_lead_times.order_qty / purchasing_info.order_multiple
            - {{ round_double('po_line_lead_times.order_qty / purchasing_info.order_multiple', 0) }}
        ) > 0.000001 as is_not_order_multiple
    from po_line_lead_times
    inner join purchasing_info
        on {{ keys_match('po_line_lead_times', 'purchasing_info', part_supplier_key()) }}

),

po_line_breaks as (

    select
        canonical_part_id,
        supplier_id,
        count(*) as n_po_lines,
        count(case when is_below_min_order_qty then 1 end) as n_po_lines_below_min_order_qty,
        count(case when is_not_order_multiple then 1 end) as n_po_lines_not_order_multiple,
        min(
            case
                when is_below_min_order_qty or is_not_order_multiple
                    then po_number || '/' || cast(po_line as {{ dbt.type_string() }})
            end
        ) as example_breaking_po_line
    from po_lines_checked
    group by
        canonical_part_id,
        supplier_id

),

joined as (

    select
        purchasing_info.canonical_part_id,
        purchasing_info.supplier_id,
        mrp_parameters.plant,
        purchasing_info.canonical_part_number,
        purchasing_info.is_selected_preferred_supplier as is_preferred_supplier,
        purchasing_info.min_order_qty,
        purchasing_info.order_multiple,
        mrp_parameters.source_part_number as mrp_part_number,
        mrp_parameters.lot_size_policy,
        mrp_parameters.fixed_lot_size,
        mrp_parameters.min_lot_size,
        case
            when mrp_parameters.lot_size_policy = 'FIXED' then mrp_parameters.fixed_lot_size
            else mrp_parameters.min_lot_size
        end as mrp_minimum_lot_size,
        coalesce(po_line_breaks.n_po_lines, 0) as n_po_lines,
        coalesce(po_line_breaks.n_po_lines_below_min_order_qty, 0)
            as n_po_lines_below_min_order_qty,
        coalesce(po_line_breaks.n_po_lines_not_order_multiple, 0)
            as n_po_lines_not_order_multiple,
        po_line_breaks.example_breaking_po_line
    from purchasing_info
    left join mrp_parameters
        on purchasing_info.canonical_part_id = mrp_parameters.canonical_part_id
    left join po_line_breaks
        on {{ keys_match('purchasing_info', 'po_line_breaks', part_supplier_key()) }}

),

checked as (

    select
        *,
        coalesce(
            mrp_minimum_lot_size < min_order_qty - 0.000001, false
        ) as is_mrp_lot_below_min_order_qty,
        coalesce(
            order_multiple > 0
            and abs(
                mrp_minimum_lot_size / order_multiple
                - {{ round_double('mrp_minimum_lot_size / order_multiple', 0) }}
            ) > 0.000001,
            false
        ) as is_mrp_lot_not_order_multiple,
        greatest(mrp_minimum_lot_size, coalesce(min_order_qty, 0)) as accepted_lot_floor
    from joined

),

final as (

    select
        {{ surrogate_key(['canonical_part_id', 'supplier_id', 'plant']) }} as policy_review_id,
        canonical_part_id,
        supplier_id,
        plant,
        canonical_part_number,
        mrp_part_number,
        is_preferred_supplier,
        min_order_qty,
        order_multiple,
        lot_size_policy,
        fixed_lot_size,
        min_lot_size,
        mrp_minimum_lot_size,
        is_mrp_lot_below_min_order_qty,
        is_mrp_lot_not_order_multiple,
        is_mrp_lot_below_min_order_qty
        or is_mrp_lot_not_order_multiple as has_lot_size_conflict,
        n_po_lines,
        n_po_lines_below_min_order_qty,
        n_po_lines_not_order_multiple,
        example_breaking_po_line,
        n_po_lines_below_min_order_qty + n_po_lines_not_order_multiple > 0
            as has_po_quantity_breaks,
        case
            when not (is_mrp_lot_below_min_order_qty or is_mrp_lot_not_order_multiple) then null
            when order_multiple > 0
                then ceil(accepted_lot_floor / order_multiple - 0.000001) * order_multiple
            else accepted_lot_floor
        end as proposed_mrp_lot_size,
        case
            when not (is_mrp_lot_below_min_order_qty or is_mrp_lot_not_order_multiple) then null
            when lot_size_policy = 'FIXED' then 'fixed_lot_size'
            else 'min_lot_size'
        end as proposed_lot_size_field
    from checked

)

select * from final
