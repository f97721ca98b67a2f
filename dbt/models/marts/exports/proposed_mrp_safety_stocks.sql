{#
    Proposed change set for the MRP parameters: safety stock (and the reorder point that
    goes with it) per MRP part number and plant, one row per safety_stock_deviation finding.

    - proposed_value: recommended_safety_stock_qty (the design formula, rounded up to whole
      units); proposed_reorder_point: recommended_reorder_point_qty (d x L + safety stock).
    - confidence: high when L and sigma_L are the actual lead times of the supplier
      (lead_time_basis actual) and there are at least
      change_set_high_confidence_min_demand_weeks demand weeks; medium when one of the two
      holds; low otherwise (planned lead time and a short demand history).
#}

with

safety_stock_review as {{ not_materialized() }} (

    select * from {{ ref('mart_safety_stock_review') }}

),

deviations as (

    select
        *,
        case
            when
                lead_time_basis = 'actual'
                and n_demand_weeks >= {{ var('change_set_high_confidence_min_demand_weeks') }}
                then 'high'
            when
                lead_time_basis = 'actual'
                or n_demand_weeks >= {{ var('change_set_high_confidence_min_demand_weeks') }}
                then 'medium'
            else 'low'
        end as confidence
    from safety_stock_review
    where
        is_safety_stock_deviation
        and has_mrp_parameters
        and recommended_safety_stock_qty is not null

),

final as (

    select
        {{ surrogate_key([
            "'mrp_parameters'", "'safety_stock_qty'", 'mrp_part_number', 'plant'
        ]) }} as change_id,
        {{ finding_id(
            "'safety_stock_deviation'", "'mrp_parameters'", 'canonical_part_id', plant='plant'
        ) }} as finding_id,
        'MRP' as target_system,
        'mrp_parameters' as target_table,
        'safety_stock_qty' as target_field,
        mrp_part_number as part_number,
        plant,
        current_safety_stock as current_value,
        recommended_safety_stock_qty as proposed_value,
        'units' as unit,
        recommended_safety_stock_qty - current_safety_stock as change_value,
        confidence,
        current_reorder_point,
        recommended_reorder_point_qty as proposed_reorder_point,
        {# The deviation in whole percent, a bigint (10^9 units against a recommendation of
           one unit is 10^11 %); a recommendation of 0 has no ratio. #}
        'Current safety stock is '
        || case
            when safety_stock_deviation_ratio is null
                then cast(current_safety_stock as {{ dbt.type_string() }}) || ' units above'
            else
                cast(
                    cast(
                        {{ round_double('100 * abs(safety_stock_deviation_ratio)', 0) }}
                        as {{ dbt.type_bigint() }}
                    ) as {{ dbt.type_string() }}
                )
                || case when safety_stock_deviation_ratio < 0 then ' % below' else ' % above' end
        end
        || ' z * sqrt(L * sigma_d^2 + d^2 * sigma_L^2) at service level '
        || cast(service_level as {{ dbt.type_string() }}) || '.' as reason,
        {{ json_object([
            ['service_level', 'number', 'service_level'],
            ['z', 'number', round_double('z', 4)],
            ['mean_daily_demand', 'number', round_double('mean_daily_demand', 4)],
            ['stddev_daily_demand', 'number', round_double('stddev_daily_demand', 4)],
            ['n_demand_weeks', 'number', 'n_demand_weeks'],
            ['lead_time_basis', 'string', 'lead_time_basis'],
            ['lead_time_supplier_id', 'string', 'lead_time_supplier_id'],
            ['n_lead_time_lines', 'number', 'n_lead_time_lines'],
            ['lead_time_mean_days', 'number', round_double('lead_time_mean_days', 2)],
            ['lead_time_stddev_days', 'number', round_double('lead_time_stddev_days', 2)],
            ['recommended_safety_stock', 'number', round_double('recommended_safety_stock', 2)],
            ['is_stale', 'boolean', 'is_stale'],
            ['last_changed_date', 'string', 'last_changed_date'],
        ]) }} as evidence,
        canonical_part_id,
        canonical_part_number,
        is_stale,
        last_changed_date,
        reference_date
    from deviations

)

select * from final
