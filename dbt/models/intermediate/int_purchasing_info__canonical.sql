{#
    ERP purchasing info per canonical part and supplier. Several ERP part numbers merged into
    one canonical part can each carry a record for the same supplier: the record of the
    canonical spelling wins, else the most recently reviewed, else the latest loaded. The
    n_/has_conflicting_ columns show what the other records disagreed on.

    The part's selected preferred supplier (used for safety stock) is the supplier whose
    winning record says preferred; when several do, the one reviewed most recently, then the
    smallest supplier_id.
#}

with

purchasing_info as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__purchasing_info') }}

),

part_aliases as {{ not_materialized() }} (

    select * from {{ ref('int_part_aliases') }}

),

resolved as (

    {{ ranked_canonical_records(
        'purchasing_info', 'erp', 'supplier_id',
        [
            'planned_lead_time_days', 'min_order_qty', 'order_multiple', 'unit_price',
            'currency', 'is_preferred', 'last_reviewed_date', 'loaded_at',
        ],
        [
            'case when purchasing_info.part_number = part_aliases.canonical_part_number'
            ~ ' then 0 else 1 end asc',
            'purchasing_info.last_reviewed_date desc nulls last',
        ]
    ) }}

),

conflicts as (

    select
        canonical_part_id,
        supplier_id,
        count(*) as n_info_records,
        min(planned_lead_time_days) as min_planned_lead_time_days,
        max(planned_lead_time_days) as max_planned_lead_time_days,
        count(distinct planned_lead_time_days) > 1 as has_conflicting_planned_lead_time,
        count(distinct min_order_qty) > 1
        or count(distinct order_multiple) > 1 as has_conflicting_order_policy
    from resolved
    group by
        canonical_part_id,
        supplier_id

),

winners as (

    select
        resolved.*,
        conflicts.n_info_records,
        conflicts.min_planned_lead_time_days,
        conflicts.max_planned_lead_time_days,
        conflicts.has_conflicting_planned_lead_time,
        conflicts.has_conflicting_order_policy
    from resolved
    inner join conflicts
        on {{ keys_match('resolved', 'conflicts', part_supplier_key()) }}
    where resolved.record_rank = 1

),

preferred_ranked as (

    select
        canonical_part_id,
        supplier_id,
        row_number() over (
            partition by canonical_part_id
            order by last_reviewed_date desc nulls last, supplier_id asc
        ) as preferred_rank,
        count(*) over (partition by canonical_part_id) as n_preferred_suppliers
    from winners
    where is_preferred

),

final as (

    select
        winners.canonical_part_id,
        winners.supplier_id,
        winners.canonical_part_number,
        winners.part_number as source_part_number,
        winners.planned_lead_time_days,
        winners.min_order_qty,
        winners.order_multiple,
        winners.unit_price,
        winners.currency,
        coalesce(winners.is_preferred, false) as is_preferred,
        coalesce(preferred_ranked.preferred_rank = 1, false) as is_selected_preferred_supplier,
        coalesce(preferred_ranked.n_preferred_suppliers, 0) as n_preferred_suppliers,
        winners.last_reviewed_date,
        winners.n_info_records,
        winners.min_planned_lead_time_days,
        winners.max_planned_lead_time_days,
        winners.has_conflicting_planned_lead_time,
        winners.has_conflicting_order_policy
    from winners
    left join preferred_ranked
        on {{ keys_match('winners', 'preferred_ranked', part_supplier_key()) }}

)

select * from final
