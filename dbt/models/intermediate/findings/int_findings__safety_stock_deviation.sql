{#
    safety_stock_deviation (mrp_parameters): the MRP safety stock of a part and plant differs
    from the recommendation by more than safety_stock_tolerance of it
    (mart_safety_stock_review.is_safety_stock_deviation). high when the current value is below
    the recommendation (stock-out risk), else medium. The proposal sets the recommended safety
    stock and, where there is one, the reorder point that goes with it.
#}

{% set kind = {
    'finding_type': 'safety_stock_deviation',
    'change_target': 'mrp_parameters',
    'source_model': 'mart_safety_stock_review',
} %}

with

safety_stock_review as {{ not_materialized() }} (

    select * from {{ ref('mart_safety_stock_review') }}

),

deviating_safety_stocks as (

    select
        canonical_part_id,
        plant,
        'mrp_parameters' as check_name,
        case
            when current_safety_stock < recommended_safety_stock then 'high'
            else 'medium'
        end as severity,
        {{ finding_evidence([
            ['canonical_part_number', 'string'],
            ['current_safety_stock', 'number'],
            ['recommended_safety_stock', 'number', round_double('recommended_safety_stock', 2)],
            ['deviation_ratio', 'number', round_double('safety_stock_deviation_ratio', 4)],
            ['service_level', 'number'],
            ['mean_daily_demand', 'number', round_double('mean_daily_demand', 4)],
            ['stddev_daily_demand', 'number', round_double('stddev_daily_demand', 4)],
            ['lead_time_mean_days', 'number', round_double('lead_time_mean_days', 2)],
            ['lead_time_stddev_days', 'number', round_double('lead_time_stddev_days', 2)],
            ['lead_time_basis', 'string'],
            ['lead_time_supplier_id', 'string'],
            ['n_lead_time_lines', 'number'],
            ['n_demand_weeks', 'number'],
            ['current_reorder_point', 'number'],
            ['recommended_reorder_point', 'number', 'recommended_reorder_point_qty'],
        ]) }} as evidence,
        'Set the MRP safety stock of ' || canonical_part_number || ' at plant ' || plant
        || ' from '
        || case
            when current_safety_stock = {{ round_double('current_safety_stock', 0) }}
                then cast(
                        cast(current_safety_stock as {{ dbt.type_bigint() }})
                        as {{ dbt.type_string() }}
                    )
            else cast(current_safety_stock as {{ dbt.type_string() }})
        end
        || ' to ' || cast(recommended_safety_stock_qty as {{ dbt.type_string() }})
        || coalesce(
            ' and its reorder point to '
            || cast(recommended_reorder_point_qty as {{ dbt.type_string() }}),
            ''
        )
        || '.' as proposed_change
    from safety_stock_review
    where is_safety_stock_deviation

),

final as (

    {{ finding_rows('deviating_safety_stocks', kind, keys=['plant']) }}

)

select * from final
