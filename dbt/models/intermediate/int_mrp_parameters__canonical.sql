{#
    MRP planning parameters per canonical part and plant. Several MRP part numbers merged into
    one canonical part can each carry parameters for the same plant: the most recently changed
    record wins (then the latest loaded, then the smallest part number); the n_/has_conflicting_
    columns show what the other records disagreed on.
#}

with

mrp_parameters as {{ not_materialized() }} (

    select * from {{ ref('stg_mrp__parameters') }}

),

part_aliases as {{ not_materialized() }} (

    select * from {{ ref('int_part_aliases') }}

),

resolved as (

    {{ ranked_canonical_records(
        'mrp_parameters', 'mrp', 'plant',
        [
            'planned_lead_time_days', 'safety_stock_qty', 'reorder_point', 'lot_size_policy',
            'fixed_lot_size', 'min_lot_size', 'last_changed_date',
        ],
        ['mrp_parameters.last_changed_date desc nulls last']
    ) }}

),

conflicts as (

    select
        canonical_part_id,
        plant,
        count(*) as n_parameter_records,
        count(distinct planned_lead_time_days) > 1
        or count(distinct safety_stock_qty) > 1
        or count(distinct lot_size_policy) > 1 as has_conflicting_parameters
    from resolved
    group by
        canonical_part_id,
        plant

),

final as (

    select
        resolved.canonical_part_id,
        resolved.plant,
        resolved.canonical_part_number,
        resolved.part_number as source_part_number,
        resolved.planned_lead_time_days,
        resolved.safety_stock_qty,
        resolved.reorder_point,
        resolved.lot_size_policy,
        resolved.fixed_lot_size,
        resolved.min_lot_size,
        resolved.last_changed_date,
        conflicts.n_parameter_records,
        conflicts.has_conflicting_parameters
    from resolved
    inner join conflicts
        on {{ keys_match('resolved', 'conflicts', part_plant_key()) }}
    where resolved.record_rank = 1

)

select * from final
