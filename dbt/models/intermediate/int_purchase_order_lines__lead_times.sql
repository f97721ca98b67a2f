{#
    One row per PO line (every line of stg_erp__purchase_order_lines, none dropped) with its
    netted receipts and actual lead times (DESIGN.md "Actual lead time of a PO line"):

    - first_receipt_date: the first effective (not reversed) RECEIPT;
    - completion_date: the earliest date from which the cumulative net received quantity
      (receipts minus returns, reversed movements as never posted, summed per day) stays at or
      above order_qty: the first day whose minimum cumulative quantity over that day and every
      later movement day reaches order_qty. A line is complete iff its final net quantity
      reaches order_qty. A CLOSED line that is not complete is short_closed and completes on
      the date of its last effective receipt;
    - lead times in calendar days from order_date; beside them the same in working days
      (*_working_days: Monday to Friday without the seed holidays, counted after the order
      date up to and including the receipt date; int_working_day_calendar);
    - exclusion_reason (first that applies): cancelled (line_status CANCELLED),
      future_dated_receipt (a goods movement dated after the day of the run, which counts as
      never posted: int_goods_receipts__netted), receipt_before_order_date (an effective movement dated before order_date),
      open_incomplete (OPEN and not complete), no_effective_receipts (CLOSED with no
      effective receipt). Excluded lines keep their dates but are left out of statistics.

    Quantities are doubles: "at or above order_qty" allows 1e-6 of rounding.
    canonical_part_id / canonical_part_number: the reconciled part (int_part_aliases), so that
    the mart fct_po_line_lead_times can be a view over this table: one 4.8 M-row table written
    per build at scale 100 instead of two (docs/performance.md).

    Incremental (macros/incremental.sql), one row per PO line: a build recomputes whole PO
    lines: those staging changed since the last build, those with a movement the netting
    recomputed since (the line it belongs to, and the line it belonged to before it moved),
    and those whose part number now reconciles to another canonical part.
#}

{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['po_number', 'po_line'],
    pre_hook="{{ incremental_reset(['stg_erp__purchase_order_lines', 'int_goods_receipts__netted']) }}",
) }}

with

purchase_order_lines as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__purchase_order_lines') }}

),

netted_receipts as {{ not_materialized() }} (

    select * from {{ ref('int_goods_receipts__netted') }}

),

working_day_calendar as {{ not_materialized() }} (

    select * from {{ ref('int_working_day_calendar') }}

),

part_aliases as {{ not_materialized() }} (

    select * from {{ ref('int_part_aliases') }}

),

{% if is_incremental() %}

    previous as {{ not_materialized() }} (

        select * from {{ this }}

    ),

    erp_part_aliases as (

        select
            source_part_number,
            canonical_part_id,
            canonical_part_number
        from part_aliases
        where source_system = 'erp'

    ),

    realiased_part_numbers as (

        select previous_parts.part_number
        from (
            select distinct
                part_number,
                canonical_part_id,
                canonical_part_number
            from previous
        ) as previous_parts
        left join erp_part_aliases
            on previous_parts.part_number = erp_part_aliases.source_part_number
        where
            previous_parts.canonical_part_id is distinct from erp_part_aliases.canonical_part_id
            or previous_parts.canonical_part_number
            is distinct from erp_part_aliases.canonical_part_number

    ),

    touched_lines as (

        select
            purchase_order_lines.po_number,
            purchase_order_lines.po_line
        from purchase_order_lines
        where
            {{ changed_since_last_build('purchase_order_lines') }}
            or purchase_order_lines.part_number in (
                select realiased_part_numbers.part_number from realiased_part_numbers
            )
        union
        select
            po_number,
            po_line
        from netted_receipts
        where {{ changed_since_last_build('netted_receipts') }}
        union
        select
            moved_from_po_number as po_number,
            moved_from_po_line as po_line
        from netted_receipts
        where
            {{ changed_since_last_build('netted_receipts') }}
            and moved_from_po_number is not null

    ),

    lines as (

        select purchase_order_lines.*
        from purchase_order_lines
        inner join touched_lines
            on {{ keys_match('purchase_order_lines', 'touched_lines', po_line_key()) }}

    ),

    line_movements as (

        select netted_receipts.*
        from netted_receipts
        inner join touched_lines
            on {{ keys_match('netted_receipts', 'touched_lines', po_line_key()) }}

    ),

{% else %}

    lines as (

        select * from purchase_order_lines

    ),

    line_movements as (

        select * from netted_receipts

    ),

{% endif %}

line_receipts as (

    select
        po_number,
        po_line,
        count(*) as n_movements,
        count(case when is_future_dated then 1 end) as n_future_dated_movements,
        count(case when is_effective_receipt then 1 end) as n_effective_receipts,
        count(
            case when movement_type = 'RECEIPT' and is_reversed then 1 end
        ) as n_reversed_receipts,
        count(
            case when movement_type = 'RETURN' and is_effective then 1 end
        ) as n_returns,
        sum(case when is_effective_receipt then quantity else 0 end) as received_qty,
        sum(
            case when movement_type = 'RETURN' and is_effective then quantity else 0 end
        ) as returned_qty,
        sum(net_quantity) as net_received_qty,
        min(case when is_effective_receipt then receipt_date end) as first_receipt_date,
        max(case when is_effective_receipt then receipt_date end) as last_receipt_date,
        min(case when is_effective then receipt_date end) as first_movement_date
    from line_movements
    group by
        po_number,
        po_line

),

daily_net as (

    select
        po_number,
        po_line,
        receipt_date,
        sum(net_quantity) as net_quantity
    from line_movements
    where is_effective
    group by
        po_number,
        po_line,
        receipt_date

),

cumulated as (

    select
        po_number,
        po_line,
        receipt_date,
        sum(net_quantity) over (
            partition by po_number, po_line
            order by receipt_date asc
            rows between unbounded preceding and current row
        ) as cumulative_qty
    from daily_net

),

cumulated_from_date as (

    select
        po_number,
        po_line,
        receipt_date,
        min(cumulative_qty) over (
            partition by po_number, po_line
            order by receipt_date desc
            rows between unbounded preceding and current row
        ) as min_cumulative_qty_from_date
    from cumulated

),

completions as (

    select
        cumulated_from_date.po_number,
        cumulated_from_date.po_line,
        min(cumulated_from_date.receipt_date) as completion_date
    from cumulated_from_date
    inner join lines
        on {{ keys_match('cumulated_from_date', 'lines', po_line_key()) }}
    where
        cumulated_from_date.min_cumulative_qty_from_date
        >= lines.order_qty - 0.000001
    group by
        cumulated_from_date.po_number,
        cumulated_from_date.po_line

),

joined as (

    select
        lines.po_number,
        lines.po_line,
        lines.supplier_id,
        lines.part_number,
        lines.order_date,
        lines.requested_date,
        lines.promised_date,
        lines.due_date,
        lines.order_qty,
        lines.uom,
        lines.line_status,
        coalesce(line_receipts.n_movements, 0) as n_movements,
        coalesce(line_receipts.n_future_dated_movements, 0) as n_future_dated_movements,
        coalesce(line_receipts.n_effective_receipts, 0) as n_effective_receipts,
        coalesce(line_receipts.n_reversed_receipts, 0) as n_reversed_receipts,
        coalesce(line_receipts.n_returns, 0) as n_returns,
        coalesce(line_receipts.received_qty, 0) as received_qty,
        coalesce(line_receipts.returned_qty, 0) as returned_qty,
        coalesce(line_receipts.net_received_qty, 0) as net_received_qty,
        line_receipts.first_receipt_date,
        line_receipts.last_receipt_date,
        line_receipts.first_movement_date,
        completions.completion_date as full_completion_date,
        completions.completion_date is not null as is_complete,
        lines.line_status = 'CLOSED'
        and completions.completion_date is null
        and line_receipts.last_receipt_date is not null as short_closed
    from lines
    left join line_receipts
        on {{ keys_match('lines', 'line_receipts', po_line_key()) }}
    left join completions
        on {{ keys_match('lines', 'completions', po_line_key()) }}

),

completed as (

    select
        *,
        case
            when is_complete then full_completion_date
            when short_closed then last_receipt_date
        end as completion_date,
        case
            when line_status = 'CANCELLED' then 'cancelled'
            when n_future_dated_movements > 0 then 'future_dated_receipt'
            when first_movement_date < order_date then 'receipt_before_order_date'
            when line_status = 'OPEN' and not is_complete then 'open_incomplete'
            when line_status = 'CLOSED' and last_receipt_date is null
                then 'no_effective_receipts'
        end as exclusion_reason
    from joined

),

final as (

    select
        completed.po_number,
        completed.po_line,
        completed.supplier_id,
        completed.part_number,
        completed.order_date,
        completed.requested_date,
        completed.promised_date,
        completed.due_date,
        completed.order_qty,
        completed.uom,
        completed.line_status,
        completed.n_movements,
        completed.n_effective_receipts,
        completed.n_reversed_receipts,
        completed.n_returns,
        completed.received_qty,
        completed.returned_qty,
        completed.net_received_qty,
        greatest(completed.order_qty - completed.net_received_qty, 0) as open_qty,
        completed.first_receipt_date,
        completed.last_receipt_date,
        completed.completion_date,
        {{ dbt.datediff('completed.order_date', 'completed.first_receipt_date', 'day') }}
            as first_receipt_lead_time_days,
        {{ dbt.datediff('completed.order_date', 'completed.completion_date', 'day') }}
            as lead_time_days,
        first_receipt_days.working_day_number - order_days.working_day_number
            as first_receipt_lead_time_working_days,
        completion_days.working_day_number - order_days.working_day_number
            as lead_time_working_days,
        completed.is_complete,
        completed.short_closed,
        completed.completion_date <= completed.due_date as is_on_time,
        {{ dbt.datediff('completed.due_date', 'completed.completion_date', 'day') }} as days_late,
        completed.exclusion_reason,
        completed.exclusion_reason is not null as is_excluded,
        part_aliases.canonical_part_id,
        part_aliases.canonical_part_number,
        {{ incremental_built_at() }} as built_at
    from completed
    left join part_aliases
        on {{ part_alias_match('completed', 'erp') }}
    left join working_day_calendar as order_days
        on completed.order_date = order_days.calendar_date
    left join working_day_calendar as first_receipt_days
        on completed.first_receipt_date = first_receipt_days.calendar_date
    left join working_day_calendar as completion_days
        on completed.completion_date = completion_days.calendar_date

)

select * from final
