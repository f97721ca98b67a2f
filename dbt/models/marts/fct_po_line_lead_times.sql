{#
    One row per ERP purchase order line, none dropped: netted receipts, completion, actual
    lead times in calendar days (working days beside them) and the reason a line is excluded
    from lead-time statistics (see intermediate/int_purchase_order_lines__lead_times).
    A view: the intermediate model already carries the reconciled part, so the build writes
    these 4.8 M rows (scale 100) once; publish copies them into the serving database as a
    table like every mart.
#}

{{ config(materialized='view') }}

with

po_line_lead_times as {{ not_materialized() }} (

    select * from {{ ref('int_purchase_order_lines__lead_times') }}

),

final as (

    select
        po_line_lead_times.po_number,
        po_line_lead_times.po_line,
        po_line_lead_times.supplier_id,
        po_line_lead_times.canonical_part_id,
        po_line_lead_times.order_date,
        po_line_lead_times.first_receipt_date,
        po_line_lead_times.completion_date,
        po_line_lead_times.first_receipt_lead_time_days,
        po_line_lead_times.lead_time_days,
        po_line_lead_times.short_closed,
        po_line_lead_times.exclusion_reason,
        po_line_lead_times.is_excluded,
        po_line_lead_times.canonical_part_number,
        po_line_lead_times.part_number as source_part_number,
        po_line_lead_times.requested_date,
        po_line_lead_times.promised_date,
        po_line_lead_times.due_date,
        po_line_lead_times.order_qty,
        po_line_lead_times.uom,
        po_line_lead_times.line_status,
        po_line_lead_times.n_movements,
        po_line_lead_times.n_effective_receipts,
        po_line_lead_times.n_reversed_receipts,
        po_line_lead_times.n_returns,
        po_line_lead_times.received_qty,
        po_line_lead_times.returned_qty,
        po_line_lead_times.net_received_qty,
        po_line_lead_times.open_qty,
        po_line_lead_times.last_receipt_date,
        po_line_lead_times.is_complete,
        po_line_lead_times.is_on_time,
        po_line_lead_times.days_late,
        po_line_lead_times.first_receipt_lead_time_working_days,
        po_line_lead_times.lead_time_working_days
    from po_line_lead_times

)

select * from final
