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

    Incremental (macros/incremental.sql), one row per receipt_id. A build recomputes the
    movements it touches: those staging changed since the last build, the movements a changed
    REVERSAL names now or named before, the REVERSALs naming a changed movement, and the
    movements whose side of the day of the run moved since they were computed (a future-dated
    movement whose date came, or the other way when run_date is pinned to an earlier day),
    with the movements such a REVERSAL names. moved_from_po_number / moved_from_po_line: the
    PO line a re-sent movement belonged to before (null if it never moved, or since the last
    rebuild from scratch), so the lead times recompute that line too.
#}

{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='receipt_id',
    pre_hook="{{ incremental_reset(['stg_erp__goods_receipts']) }}",
) }}

with

goods_receipts as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__goods_receipts') }}

),

{% if is_incremental() %}

    previous as {{ not_materialized() }} (

        select * from {{ this }}

    ),

    changed as (

        select
            goods_receipts.receipt_id,
            goods_receipts.reverses_receipt_id
        from goods_receipts
        where {{ changed_since_last_build('goods_receipts') }}

    ),

    date_crossed as (

        select
            previous.receipt_id,
            previous.reverses_receipt_id
        from previous
        where previous.is_future_dated <> (previous.receipt_date > {{ run_date() }})

    ),

    touched_receipts as (

        select receipt_id from changed
        union
        select reverses_receipt_id as receipt_id from changed
        union
        select previous.reverses_receipt_id as receipt_id
        from previous
        inner join changed
            on previous.receipt_id = changed.receipt_id
        union
        select goods_receipts.receipt_id
        from goods_receipts
        inner join changed
            on goods_receipts.reverses_receipt_id = changed.receipt_id
        union
        select receipt_id from date_crossed
        union
        select reverses_receipt_id as receipt_id from date_crossed

    ),

    movements as (

        select goods_receipts.*
        from goods_receipts
        where goods_receipts.receipt_id in (
                select touched_receipts.receipt_id from touched_receipts
            )

    ),

    -- their rows as the last build wrote them (filtered here, so that the join below builds
    -- its hash table on the few touched movements, not on every row of this model)
    previous_movements as (

        select previous.*
        from previous
        where previous.receipt_id in (select movements.receipt_id from movements)

    ),

    -- the movements that may reverse one of them
    reversal_scope as (

        select goods_receipts.*
        from goods_receipts
        where goods_receipts.reverses_receipt_id in (select movements.receipt_id from movements)

    ),

{% else %}

    -- every movement, read where used (a full build's 10 M rows, not copied first)
    movements as {{ not_materialized() }} (

        select * from goods_receipts

    ),

    reversal_scope as {{ not_materialized() }} (

        select * from goods_receipts

    ),

{% endif %}

reversals as (

    select
        reverses_receipt_id as reversed_receipt_id,
        min(receipt_id) as reversed_by_receipt_id,
        count(*) as n_reversals
    from reversal_scope
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
    {% if is_incremental() %}
        where receipt_id in (select movements.reverses_receipt_id from movements)
    {% endif %}

),

flagged as (

    select
        movements.receipt_id,
        movements.po_number,
        movements.po_line,
        movements.part_number,
        movements.receipt_date,
        movements.movement_type,
        movements.quantity,
        movements.uom,
        movements.reverses_receipt_id,
        reversals.reversed_by_receipt_id,
        movements.movement_type in ('RECEIPT', 'RETURN')
        and reversals.reversed_receipt_id is not null as is_reversed,
        movements.receipt_date > {{ run_date() }} as is_future_dated,
        case
            when movements.movement_type <> 'REVERSAL' then null
            when movements.receipt_date > {{ run_date() }} then 'future_dated'
            when reversal_targets.receipt_id is null then 'target_not_found'
            when reversal_targets.movement_type = 'REVERSAL' then 'target_is_reversal'
            else 'applied'
        end as reversal_status,
        {% if is_incremental() %}
            {% for column in ['po_number', 'po_line'] %}
                coalesce(
                    case
                        when
                            previous_movements.po_number is distinct from movements.po_number
                            or previous_movements.po_line is distinct from movements.po_line
                            then previous_movements.{{ column }}
                    end,
                    previous_movements.moved_from_{{ column }}
                ) as moved_from_{{ column }},
            {% endfor %}
        {% else %}
            cast(null as {{ dbt.type_string() }}) as moved_from_po_number,
            cast(null as integer) as moved_from_po_line,
        {% endif %}
        movements.source_file,
        movements.loaded_at
    from movements
    left join reversals
        on movements.receipt_id = reversals.reversed_receipt_id
    left join reversal_targets
        on movements.reverses_receipt_id = reversal_targets.receipt_id
    {% if is_incremental() %}
        -- (read by the moved_from columns above)
        left join previous_movements  -- noqa: ST11
            on movements.receipt_id = previous_movements.receipt_id
    {% endif %}

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
        moved_from_po_number,
        moved_from_po_line,
        source_file,
        loaded_at,
        {{ incremental_built_at() }} as built_at
    from flagged

)

select * from final
