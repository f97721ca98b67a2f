{#
    Source rows the pipeline isolates instead of using as they are, one row per source row and
    reason, so stewards can query them (DESIGN.md, Contracts: "quarantined with a reason, never
    lost"). Rows breaking an ERROR expectation never get here: their whole extract is refused
    by the raw contract and stays in the landing folder.

    reason (handling):
    - receipt_before_order_date (po_line_excluded_from_lead_time_statistics): a PO line with
      an effective receipt or return dated before its order date (exclusion_reason of
      fct_po_line_lead_times), and each such goods movement;
    - reversal_target_not_found / reversal_target_is_reversal
      (reversal_ignored_in_receipt_netting): a REVERSAL naming no known movement, or another
      REVERSAL (int_goods_receipts__netted.reversal_status);
    - receipt_without_po_line (movement_not_counted_for_any_po_line): an effective RECEIPT or
      RETURN whose PO line is in no extract;
    - receipt_date_in_future (movement_counted_as_never_posted): a goods movement dated after
      the day of the run (int_goods_receipts__netted.is_future_dated); its PO line is excluded
      as future_dated_receipt;
    - requested_date_before_order_date / promised_date_before_order_date (kept_as_reported):
      the raw contract warns; the line keeps its lead time, its on-time flag uses the date.

    source_key: the landing key, '|'-joined (po_number|po_line; receipt_id). row_json: the
    staged (latest extract) row. reference_date: the data's reference date, never current_date,
    so a rebuild of the same extracts gives the same rows.
#}

with

purchase_order_lines as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__purchase_order_lines') }}

),

po_line_lead_times as {{ not_materialized() }} (

    select * from {{ ref('int_purchase_order_lines__lead_times') }}

),

netted_receipts as {{ not_materialized() }} (

    select * from {{ ref('int_goods_receipts__netted') }}

),

part_aliases as {{ not_materialized() }} (

    select * from {{ ref('int_part_aliases') }}

),

reference_dates as {{ not_materialized() }} (

    select * from {{ ref('int_reference_dates') }}

),

-- The PO lines that may have a reason, picked on the lead-time table (it carries each line's
-- dates), so that the join below builds its hash table on them instead of on every PO line.
po_line_candidates as (

    select
        po_number,
        po_line,
        exclusion_reason
    from po_line_lead_times
    where
        exclusion_reason = 'receipt_before_order_date'
        or requested_date < order_date
        or promised_date < order_date

),

po_line_flags as (

    select
        purchase_order_lines.*,
        po_line_candidates.exclusion_reason,
        coalesce(
            purchase_order_lines.requested_date < purchase_order_lines.order_date, false
        ) as is_requested_before_order,
        coalesce(
            purchase_order_lines.promised_date < purchase_order_lines.order_date, false
        ) as is_promised_before_order
    from purchase_order_lines
    inner join po_line_candidates
        on {{ keys_match('purchase_order_lines', 'po_line_candidates', po_line_key()) }}

),

po_lines as (

    -- Only lines with a reason: the JSON of a row is built for the few it is shown for.
    select
        po_line_flags.*,
        po_line_flags.po_number || '|'
        || cast(po_line_flags.po_line as {{ dbt.type_string() }}) as source_key,
        {{ json_object([
            ['po_number', 'string', 'po_line_flags.po_number'],
            ['po_line', 'number', 'po_line_flags.po_line'],
            ['supplier_id', 'string', 'po_line_flags.supplier_id'],
            ['part_number', 'string', 'po_line_flags.part_number'],
            ['order_date', 'string', 'po_line_flags.order_date'],
            ['requested_date', 'string', 'po_line_flags.requested_date'],
            ['promised_date', 'string', 'po_line_flags.promised_date'],
            ['order_qty', 'number', 'po_line_flags.order_qty'],
            ['uom', 'string', 'po_line_flags.uom'],
            ['line_status', 'string', 'po_line_flags.line_status'],
            ['updated_at', 'string', 'po_line_flags.updated_at'],
        ]) }} as row_json
    from po_line_flags
    where
        po_line_flags.exclusion_reason = 'receipt_before_order_date'
        or po_line_flags.is_requested_before_order
        or po_line_flags.is_promised_before_order

),

movement_flags as (

    select
        netted_receipts.*,
        purchase_order_lines.order_date,
        coalesce(
            netted_receipts.is_effective
            and netted_receipts.receipt_date < purchase_order_lines.order_date,
            false
        ) as is_before_order_date,
        netted_receipts.is_effective
        and purchase_order_lines.po_number is null as is_without_po_line,
        coalesce(
            netted_receipts.reversal_status in ('target_not_found', 'target_is_reversal'), false
        ) as is_ignored_reversal,
        netted_receipts.is_future_dated
    from netted_receipts
    left join purchase_order_lines
        on {{ keys_match('netted_receipts', 'purchase_order_lines', po_line_key()) }}

),

movements as (

    -- Only movements with a reason, as for po_lines.
    select
        movement_flags.*,
        movement_flags.receipt_id as source_key,
        {{ json_object([
            ['receipt_id', 'string', 'movement_flags.receipt_id'],
            ['po_number', 'string', 'movement_flags.po_number'],
            ['po_line', 'number', 'movement_flags.po_line'],
            ['part_number', 'string', 'movement_flags.part_number'],
            ['receipt_date', 'string', 'movement_flags.receipt_date'],
            ['quantity', 'number', 'movement_flags.quantity'],
            ['uom', 'string', 'movement_flags.uom'],
            ['movement_type', 'string', 'movement_flags.movement_type'],
            ['reverses_receipt_id', 'string', 'movement_flags.reverses_receipt_id'],
        ]) }} as row_json
    from movement_flags
    where
        movement_flags.is_before_order_date
        or movement_flags.is_without_po_line
        or movement_flags.is_ignored_reversal
        or movement_flags.is_future_dated

),

early_movements as (

    select
        po_number,
        po_line,
        count(*) as n_early_movements,
        min(receipt_date) as first_early_movement_date
    from movements
    where is_before_order_date
    group by
        po_number,
        po_line

),

po_lines_receipt_before_order as (

    select
        'erp_purchase_order_lines' as source_table,
        po_lines.source_key,
        'receipt_before_order_date' as reason,
        'po_line_excluded_from_lead_time_statistics' as handling,
        cast(early_movements.n_early_movements as {{ dbt.type_string() }})
        || ' effective goods movement(s) dated from '
        || cast(early_movements.first_early_movement_date as {{ dbt.type_string() }})
        || ', before the order date '
        || cast(po_lines.order_date as {{ dbt.type_string() }})
        || '; the line is left out of lead-time statistics' as detail,
        po_lines.part_number,
        po_lines.supplier_id,
        po_lines.source_file,
        po_lines.loaded_at,
        po_lines.row_json
    from po_lines
    left join early_movements
        on {{ keys_match('po_lines', 'early_movements', po_line_key()) }}
    where po_lines.exclusion_reason = 'receipt_before_order_date'

),

movement_reasons as (

    {#- one select a reason (a movement can have more than one); the detail is written below -#}
    {%- set reasons = [
        ('is_before_order_date', "'receipt_before_order_date'",
            'po_line_excluded_from_lead_time_statistics'),
        ('is_ignored_reversal', "'reversal_' || reversal_status",
            'reversal_ignored_in_receipt_netting'),
        ('is_without_po_line', "'receipt_without_po_line'",
            'movement_not_counted_for_any_po_line'),
        ('is_future_dated', "'receipt_date_in_future'", 'movement_counted_as_never_posted'),
    ] %}
    {% for flag, reason, handling in reasons %}
        select
            movements.*,
            '{{ flag }}' as flag,
            {{ reason }} as reason,
            '{{ handling }}' as handling
        from movements
        where {{ flag }}
        {% if not loop.last %}
            union all
        {% endif %}
    {% endfor %}

),

movement_rows as (

    select
        'erp_goods_receipts' as source_table,
        source_key,
        reason,
        handling,
        case flag
            when 'is_before_order_date'
                then
                    lower(movement_type) || ' dated '
                    || cast(receipt_date as {{ dbt.type_string() }})
                    || ', before the order date ' || cast(order_date as {{ dbt.type_string() }})
                    || ' of PO line ' || po_number || '|'
                    || cast(po_line as {{ dbt.type_string() }})
            when 'is_ignored_reversal'
                then
                    'reversal of ' || coalesce(reverses_receipt_id, '(none)')
                    || case
                        when reversal_status = 'target_not_found' then ', a movement in no extract'
                        else ', itself a reversal'
                    end || '; it cancels nothing'
            when 'is_without_po_line'
                then
                    lower(movement_type) || ' for PO line ' || po_number || '|'
                    || cast(po_line as {{ dbt.type_string() }})
                    || ', which is in no purchase order line extract'
            when 'is_future_dated'
                then
                    lower(movement_type) || ' dated '
                    || cast(receipt_date as {{ dbt.type_string() }})
                    || ', after the day of the run; PO line ' || po_number || '|'
                    || cast(po_line as {{ dbt.type_string() }})
                    || ' is left out of lead-time statistics until the date has passed'
        end as detail,
        part_number,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        source_file,
        loaded_at,
        row_json
    from movement_reasons

),

due_dates_before_order as (

    {#- the raw contract's two due-date warnings: the same check on either date -#}
    {% for due_date in ['requested', 'promised'] %}
        select
            'erp_purchase_order_lines' as source_table,
            source_key,
            '{{ due_date }}_date_before_order_date' as reason,
            'kept_as_reported' as handling,
            '{{ due_date }} date ' || cast({{ due_date }}_date as {{ dbt.type_string() }})
            || ' is before the order date ' || cast(order_date as {{ dbt.type_string() }})
                as detail,
            part_number,
            supplier_id,
            source_file,
            loaded_at,
            row_json
        from po_lines
        where is_{{ due_date }}_before_order
        {% if not loop.last %}
            union all
        {% endif %}
    {% endfor %}

),

unioned as (

    select * from po_lines_receipt_before_order
    union all
    select * from movement_rows
    union all
    select * from due_dates_before_order

),

final as (

    select
        {{ surrogate_key(['unioned.source_table', 'unioned.source_key', 'unioned.reason']) }}
            as quarantine_id,
        unioned.source_table,
        unioned.source_key,
        unioned.reason,
        unioned.handling,
        unioned.detail,
        part_aliases.canonical_part_id,
        unioned.part_number as source_part_number,
        unioned.supplier_id,
        unioned.source_file,
        unioned.loaded_at,
        reference_dates.reference_date,
        unioned.row_json
    from unioned
    cross join reference_dates
    left join part_aliases
        on {{ part_alias_match('unioned', 'erp') }}

)

select * from final
