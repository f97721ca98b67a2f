{#
    One row per MRP availability result, checked against reconciled ERP facts (DESIGN.md
    "False availability"):

    - on_hand_qty: the latest ERP inventory snapshot on or before as_of_date for the canonical
      part and plant (ERP part numbers merged into one canonical part are summed per snapshot
      date); 0 when there is none (has_inventory_snapshot = false).
    - covering supply: PO lines carry no plant, so they match by canonical part only. A line is
      past-due open at as_of_date when line_status is OPEN, it was ordered on or before
      as_of_date, its due date (promised_date, else requested_date) is before as_of_date and it
      was not complete at as_of_date (no completion_date, or one after as_of_date). The
      covering line is the most overdue such line (earliest due date, then po_number, po_line).
    - false_available: MRP says AVAILABLE, on_hand_qty < required_qty and there is a
      past-due open covering line.
    The evidence a reviewer needs sits beside the flag: the snapshot used and its on-hand
    quantity, the covering line (order date, due date, ordered, received and open quantity,
    days past due) and all past-due open lines of the part at that date.
#}

with

availability as {{ not_materialized() }} (

    select * from {{ ref('stg_mrp__availability') }}

),

inventory as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__inventory') }}

),

part_aliases as {{ not_materialized() }} (

    select * from {{ ref('int_part_aliases') }}

),

po_line_lead_times as {{ not_materialized() }} (

    select * from {{ ref('fct_po_line_lead_times') }}

),

availability_keyed as (

    select
        {{ surrogate_key([
            'availability.as_of_date', 'availability.part_number', 'availability.plant'
        ]) }} as availability_check_id,
        availability.as_of_date,
        availability.part_number as mrp_part_number,
        availability.plant,
        availability.required_qty,
        availability.available_qty,
        availability.mrp_status,
        part_aliases.canonical_part_id,
        part_aliases.canonical_part_number
    from availability
    left join part_aliases
        on {{ part_alias_match('availability', 'mrp') }}

),

inventory_by_date as (

    {{ sum_by_canonical_part('inventory', 'erp', ['plant', 'snapshot_date'], 'on_hand_qty') }}

),

{# As-of join without ASOF JOIN: interleave snapshots and checks per part and plant by date
   (a snapshot sorts before a check of the same day) and carry the latest snapshot date. #}
timeline as (

    select
        canonical_part_id,
        plant,
        snapshot_date as event_date,
        0 as event_order,
        snapshot_date,
        cast(null as {{ dbt.type_string() }}) as availability_check_id
    from inventory_by_date

    union all

    select
        canonical_part_id,
        plant,
        as_of_date as event_date,
        1 as event_order,
        cast(null as date) as snapshot_date,
        availability_check_id
    from availability_keyed

),

latest_snapshots as (

    select
        availability_check_id,
        max(snapshot_date) over (
            partition by canonical_part_id, plant
            order by event_date asc, event_order asc
            rows between unbounded preceding and current row
        ) as inventory_snapshot_date
    from timeline

),

on_hand as (

    select
        latest_snapshots.availability_check_id,
        latest_snapshots.inventory_snapshot_date,
        inventory_by_date.on_hand_qty
    from latest_snapshots
    inner join availability_keyed
        on latest_snapshots.availability_check_id = availability_keyed.availability_check_id
    left join inventory_by_date
        on
            {{ keys_match('availability_keyed', 'inventory_by_date', part_plant_key()) }}
            and latest_snapshots.inventory_snapshot_date = inventory_by_date.snapshot_date
    where latest_snapshots.availability_check_id is not null

),

past_due_lines as (

    select
        availability_keyed.availability_check_id,
        po_line_lead_times.po_number,
        po_line_lead_times.po_line,
        po_line_lead_times.supplier_id,
        po_line_lead_times.due_date,
        po_line_lead_times.order_date,
        po_line_lead_times.order_qty,
        po_line_lead_times.net_received_qty,
        po_line_lead_times.open_qty,
        {{ dbt.datediff('po_line_lead_times.due_date', 'availability_keyed.as_of_date', 'day') }}
            as days_past_due,
        row_number() over (
            partition by availability_keyed.availability_check_id
            order by
                po_line_lead_times.due_date asc,
                po_line_lead_times.po_number asc,
                po_line_lead_times.po_line asc
        ) as overdue_rank,
        count(*) over (
            partition by availability_keyed.availability_check_id
        ) as n_past_due_open_lines,
        sum(po_line_lead_times.open_qty) over (
            partition by availability_keyed.availability_check_id
        ) as past_due_open_qty
    from availability_keyed
    inner join po_line_lead_times
        on availability_keyed.canonical_part_id = po_line_lead_times.canonical_part_id
    where
        po_line_lead_times.line_status = 'OPEN'
        and po_line_lead_times.order_date <= availability_keyed.as_of_date
        and po_line_lead_times.due_date < availability_keyed.as_of_date
        and (
            po_line_lead_times.completion_date is null
            or po_line_lead_times.completion_date > availability_keyed.as_of_date
        )

),

covering_lines as (

    select * from past_due_lines
    where overdue_rank = 1

),

final as (

    select
        availability_keyed.canonical_part_id,
        availability_keyed.plant,
        availability_keyed.as_of_date,
        availability_keyed.mrp_status,
        availability_keyed.mrp_status = 'AVAILABLE'
        and coalesce(on_hand.on_hand_qty, 0) < availability_keyed.required_qty
        and covering_lines.po_number is not null as false_available,
        availability_keyed.availability_check_id,
        availability_keyed.mrp_part_number,
        availability_keyed.canonical_part_number,
        availability_keyed.required_qty,
        availability_keyed.available_qty as mrp_available_qty,
        coalesce(on_hand.on_hand_qty, 0) as on_hand_qty,
        on_hand.inventory_snapshot_date,
        on_hand.inventory_snapshot_date is not null as has_inventory_snapshot,
        greatest(
            availability_keyed.required_qty - coalesce(on_hand.on_hand_qty, 0), 0
        ) as on_hand_shortfall_qty,
        covering_lines.po_number as covering_po_number,
        covering_lines.po_line as covering_po_line,
        covering_lines.supplier_id as covering_supplier_id,
        covering_lines.due_date as covering_due_date,
        covering_lines.open_qty as covering_open_qty,
        covering_lines.order_date as covering_order_date,
        covering_lines.order_qty as covering_order_qty,
        covering_lines.net_received_qty as covering_net_received_qty,
        covering_lines.days_past_due,
        coalesce(covering_lines.n_past_due_open_lines, 0) as n_past_due_open_lines,
        coalesce(covering_lines.past_due_open_qty, 0) as past_due_open_qty
    from availability_keyed
    left join on_hand
        on availability_keyed.availability_check_id = on_hand.availability_check_id
    left join covering_lines
        on availability_keyed.availability_check_id = covering_lines.availability_check_id

)

select * from final
