{#
    Receipt netting per movement (DESIGN.md "Receipt netting"):
    - RECEIPT adds its quantity to its PO line;
    - REVERSAL cancels the movement it names (reverses_receipt_id), which then counts as never
      posted; the reversal itself moves nothing;
    - RETURN (to the supplier) subtracts its quantity.
    A REVERSAL that names no known movement, or names another REVERSAL, cancels nothing
    (reversal_status says so).
    A movement dated after the day of the run ({{ run_date() }}, macros/run_date.sql) is
    future-dated: it counts as never posted (is_future_dated; a future-dated REVERSAL has
    reversal_status future_dated and cancels nothing) and marts.quarantined_rows lists it, so a
    mistyped year can neither complete a PO line nor move the lead-time window's end.
#}

with

goods_receipts as (

    select * from {{ ref('stg_erp__goods_receipts') }}

),

reversals as (

    select
        reverses_receipt_id as reversed_receipt_id,
        min(receipt_id) as reversed_by_receipt_id,
        count(*) as n_reversals
    from goods_receipts
    where
        movement_type = 'REVERSAL'
        and reverses_receipt_id is not null
        and receipt_date <= {{ run_date() }}
    group by reverses_receipt_id

),

reversal_targets as (

    select
        receipt_id,
        movement_type
    from goods_receipts

),

flagged as (

    select
        goods_receipts.receipt_id,
        goods_receipts.po_number,
        goods_receipts.po_line,
        goods_receipts.part_number,
        goods_receipts.receipt_date,
        goods_receipts.movement_type,
        goods_receipts.quantity,
        goods_receipts.uom,
        goods_receipts.reverses_receipt_id,
        reversals.reversed_by_receipt_id,
        goods_receipts.movement_type in ('RECEIPT', 'RETURN')
        and reversals.reversed_receipt_id is not null as is_reversed,
        goods_receipts.receipt_date > {{ run_date() }} as is_future_dated,
        case
            when goods_receipts.movement_type <> 'REVERSAL' then null
            when goods_receipts.receipt_date > {{ run_date() }} then 'future_dated'
            when reversal_targets.receipt_id is null then 'target_not_found'
            when reversal_targets.movement_type = 'REVERSAL' then 'target_is_reversal'
            else 'applied'
        end as reversal_status,
        goods_receipts.source_file,
        goods_receipts.loaded_at
    from goods_receipts
    left join reversals
        on goods_receipts.receipt_id = reversals.reversed_receipt_id
    left join reversal_targets
        on goods_receipts.reverses_receipt_id = reversal_targets.receipt_id

),

final as (

    select
        receipt_id,
        po_number,
        po_line,
        part_number,
        receipt_date,
        movement_type,
        quantity,
        uom,
        reverses_receipt_id,
        reversal_status,
        is_reversed,
        reversed_by_receipt_id,
        is_future_dated,
        movement_type in ('RECEIPT', 'RETURN')
        and not is_reversed
        and not is_future_dated as is_effective,
        movement_type = 'RECEIPT'
        and not is_reversed
        and not is_future_dated as is_effective_receipt,
        case
            when is_reversed or is_future_dated then 0
            when movement_type = 'RECEIPT' then quantity
            when movement_type = 'RETURN' then -quantity
            else 0
        end as net_quantity,
        source_file,
        loaded_at
    from flagged

)

select * from final
