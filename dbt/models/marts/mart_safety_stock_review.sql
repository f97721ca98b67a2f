{#
    Safety stock review per canonical part and plant (DESIGN.md "Safety stock review"):

        recommended_safety_stock = z * sqrt(L * sigma_d^2 + d^2 * sigma_L^2)

    - d, sigma_d: mean and sample standard deviation of daily demand = weekly demand / 7 and
      weekly sigma / sqrt(7), over every reported demand week of the part and plant (MRP part
      numbers merged into one canonical part are summed per week). Weeks missing from the
      history are not filled with zeros.
    - L, sigma_L: mean and sample standard deviation (days) of the actual lead times of the
      lead-time supplier in mart_supplier_lead_times: the part's selected preferred supplier,
      else the supplier with the most completed lines in the window (lead_time_basis
      'actual'). When that supplier has fewer than min_lines_for_recommendation lines (or the
      part has no supplier: MAKE parts), L is the planned lead time: the ERP one of that
      supplier ('planned_erp'), else the MRP one of this plant ('planned_mrp'), and sigma_L =
      L * typical_lead_time_cv, the median coefficient of variation (stddev / mean) of the
      actual lead times of every part/supplier with enough lines.
    - z: normal_inverse_cdf(service_level).
    - is_stale: last_changed_date more than parameter_stale_after_days before the reference
      date (int_reference_dates: the newest date in the data, not current_date).
    - is_safety_stock_deviation: |current - recommended| > safety_stock_tolerance * recommended.
    - recommended_reorder_point = d * L + recommended_safety_stock (the demand over the lead
      time, at least 0, plus the safety stock: net returns never put the reorder point below
      the safety stock); current_reorder_point is MRP's. The *_qty columns round
      up to whole units: what a change set proposes.
    - recommendation_status: ok, no_demand_history (fewer than two demand weeks: no sigma_d)
      or no_lead_time (no actual or planned lead time).
    Rows: every part/plant with MRP parameters or demand history.
#}

with

mrp_parameters as {{ not_materialized() }} (

    select * from {{ ref('int_mrp_parameters__canonical') }}

),

demand_history as {{ not_materialized() }} (

    select * from {{ ref('stg_mrp__demand_history') }}

),

part_aliases as {{ not_materialized() }} (

    select * from {{ ref('int_part_aliases') }}

),

supplier_lead_times as {{ not_materialized() }} (

    select * from {{ ref('mart_supplier_lead_times') }}

),

reference_dates as {{ not_materialized() }} (

    select * from {{ ref('int_reference_dates') }}

),

parts as {{ not_materialized() }} (

    select * from {{ ref('dim_parts') }}

),

weekly_demand as (

    {{ sum_by_canonical_part('demand_history', 'mrp', ['plant', 'week_start'], 'demand_qty') }}

),

demand_statistics as (

    select
        canonical_part_id,
        plant,
        count(*) as n_demand_weeks,
        min(week_start) as first_demand_week,
        max(week_start) as last_demand_week,
        avg(demand_qty) / 7.0 as mean_daily_demand,
        stddev_samp(demand_qty) / sqrt(7.0) as stddev_daily_demand
    from weekly_demand
    group by
        canonical_part_id,
        plant

),

part_plants as (

    select
        canonical_part_id,
        plant
    from mrp_parameters

    union

    select
        canonical_part_id,
        plant
    from demand_statistics

),

supplier_candidates as (

    select
        canonical_part_id,
        supplier_id,
        n_lines,
        mean_lead_time_days,
        stddev_lead_time_days,
        erp_planned_lead_time_days,
        case when is_preferred_supplier then 'preferred' else 'most_lines' end
            as supplier_choice,
        row_number() over (
            partition by canonical_part_id
            order by
                case when is_preferred_supplier then 0 else 1 end asc,
                n_lines desc,
                supplier_id asc
        ) as supplier_rank
    from supplier_lead_times
    where is_preferred_supplier or n_lines > 0

),

lead_time_suppliers as (

    select * from supplier_candidates
    where supplier_rank = 1

),

lead_time_variability as (

    select
        {{ percentile_cont('stddev_lead_time_days / mean_lead_time_days', 0.5) }}
            as typical_lead_time_cv
    from supplier_lead_times
    where
        n_lines >= {{ var('min_lines_for_recommendation') }}
        and mean_lead_time_days > 0

),

joined as (

    select
        part_plants.canonical_part_id,
        part_plants.plant,
        parts.canonical_part_number,
        mrp_parameters.source_part_number as mrp_part_number,
        mrp_parameters.canonical_part_id is not null as has_mrp_parameters,
        mrp_parameters.safety_stock_qty as current_safety_stock,
        mrp_parameters.reorder_point as current_reorder_point,
        mrp_parameters.planned_lead_time_days as mrp_planned_lead_time_days,
        mrp_parameters.last_changed_date,
        coalesce(demand_statistics.n_demand_weeks, 0) as n_demand_weeks,
        demand_statistics.first_demand_week,
        demand_statistics.last_demand_week,
        demand_statistics.mean_daily_demand,
        demand_statistics.stddev_daily_demand,
        lead_time_suppliers.supplier_id as lead_time_supplier_id,
        lead_time_suppliers.supplier_choice,
        coalesce(lead_time_suppliers.n_lines, 0) as n_lead_time_lines,
        lead_time_suppliers.mean_lead_time_days as actual_lead_time_mean_days,
        lead_time_suppliers.stddev_lead_time_days as actual_lead_time_stddev_days,
        lead_time_suppliers.erp_planned_lead_time_days,
        lead_time_variability.typical_lead_time_cv,
        case
            when lead_time_suppliers.n_lines >= {{ var('min_lines_for_recommendation') }}
                then 'actual'
            when lead_time_suppliers.erp_planned_lead_time_days is not null then 'planned_erp'
            when mrp_parameters.planned_lead_time_days is not null then 'planned_mrp'
        end as lead_time_basis,
        reference_dates.reference_date,
        cast(
            {{ dbt.dateadd(
                'day',
                '-' ~ var('parameter_stale_after_days'),
                'reference_dates.reference_date'
            ) }} as date
        ) as stale_before_date,
        {{ normal_inverse_cdf(var('service_level')) }} as z
    from part_plants
    cross join reference_dates
    cross join lead_time_variability
    left join mrp_parameters
        on {{ keys_match('part_plants', 'mrp_parameters', part_plant_key()) }}
    left join demand_statistics
        on {{ keys_match('part_plants', 'demand_statistics', part_plant_key()) }}
    left join lead_time_suppliers
        on part_plants.canonical_part_id = lead_time_suppliers.canonical_part_id
    left join parts
        on part_plants.canonical_part_id = parts.canonical_part_id

),

lead_times as (

    select
        *,
        case lead_time_basis
            when 'actual' then actual_lead_time_mean_days
            when 'planned_erp' then erp_planned_lead_time_days
            when 'planned_mrp' then mrp_planned_lead_time_days
        end as lead_time_mean_days,
        case lead_time_basis
            when 'actual' then actual_lead_time_stddev_days
            when 'planned_erp' then erp_planned_lead_time_days * typical_lead_time_cv
            when 'planned_mrp' then mrp_planned_lead_time_days * typical_lead_time_cv
        end as lead_time_stddev_days
    from joined

),

recommended as (

    select
        *,
        z * sqrt(
            lead_time_mean_days * stddev_daily_demand * stddev_daily_demand
            + mean_daily_demand * mean_daily_demand
            * lead_time_stddev_days * lead_time_stddev_days
        ) as recommended_safety_stock,
        {# Net returns (negative mean demand, a raw WARNING, used as reported) consume
           nothing over the lead time: they never pull the reorder point below the safety
           stock. #}
        greatest(mean_daily_demand * lead_time_mean_days, 0) as lead_time_demand
    from lead_times

),

final as (

    select
        canonical_part_id,
        plant,
        cast({{ var('service_level') }} as double) as service_level,
        current_safety_stock,
        recommended_safety_stock,
        coalesce(has_mrp_parameters and last_changed_date is null, false)
        or coalesce(last_changed_date < stale_before_date, false) as is_stale,
        canonical_part_number,
        mrp_part_number,
        has_mrp_parameters,
        z,
        mean_daily_demand,
        stddev_daily_demand,
        n_demand_weeks,
        first_demand_week,
        last_demand_week,
        lead_time_supplier_id,
        supplier_choice,
        lead_time_basis,
        n_lead_time_lines,
        lead_time_mean_days,
        lead_time_stddev_days,
        typical_lead_time_cv,
        erp_planned_lead_time_days,
        mrp_planned_lead_time_days,
        last_changed_date,
        {{ dbt.datediff('last_changed_date', 'reference_date', 'day') }}
            as days_since_last_change,
        stale_before_date,
        reference_date,
        current_safety_stock - recommended_safety_stock as safety_stock_deviation,
        (current_safety_stock - recommended_safety_stock)
        / nullif(recommended_safety_stock, 0) as safety_stock_deviation_ratio,
        cast({{ var('safety_stock_tolerance') }} as double) as safety_stock_tolerance,
        coalesce(
            abs(current_safety_stock - recommended_safety_stock)
            > {{ var('safety_stock_tolerance') }} * recommended_safety_stock,
            false
        ) as is_safety_stock_deviation,
        case
            when coalesce(n_demand_weeks, 0) < 2 then 'no_demand_history'
            when lead_time_mean_days is null then 'no_lead_time'
            else 'ok'
        end as recommendation_status,
        cast(ceil({{ round_double('recommended_safety_stock', 6) }}) as {{ dbt.type_bigint() }})
            as recommended_safety_stock_qty,
        current_reorder_point,
        lead_time_demand,
        lead_time_demand + recommended_safety_stock as recommended_reorder_point,
        cast(
            ceil({{ round_double('lead_time_demand + recommended_safety_stock', 6) }})
            as {{ dbt.type_bigint() }}
        ) as recommended_reorder_point_qty
    from recommended

)

select * from final
