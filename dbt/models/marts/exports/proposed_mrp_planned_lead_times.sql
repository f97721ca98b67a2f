{#
    Proposed change set for the MRP parameters: planned lead time (planned delivery time) per
    MRP part number and plant. One row per plant record of every part whose preferred
    supplier's actual lead time drifts from the MRP plan (the lead_time_drift findings with
    check mrp), where the plant's value differs from the recommendation.

    - proposed_value: the preferred supplier's recommended_lead_time_days; current_value: the
      plant's MRP planned lead time (MRP has no supplier, so every plant of the part gets the
      same proposal; plants already at the recommendation are left out).
      Only confident recommendations (mart_supplier_lead_times.is_recommendation_confident:
      a bounded confidence interval no wider than recommended_lead_time_ci_max_width_days).
    - confidence: lead_time_change_confidence(), as for proposed_erp_purchasing_info_lead_times
      (high with at least change_set_high_confidence_min_lines lines and no shift or trend,
      else medium).
#}

with

supplier_lead_times as {{ not_materialized() }} (

    select * from {{ ref('mart_supplier_lead_times') }}

),

mrp_parameters as {{ not_materialized() }} (

    select * from {{ ref('int_mrp_parameters__canonical') }}

),

reference_dates as {{ not_materialized() }} (

    select * from {{ ref('int_reference_dates') }}

),

drifting as (

    select
        supplier_lead_times.*,
        {{ lead_time_change_confidence('supplier_lead_times') }} as confidence
    from supplier_lead_times
    where
        supplier_lead_times.is_drifting_vs_mrp
        and supplier_lead_times.is_preferred_supplier
        -- a recommendation whose confidence interval is unbounded or too wide proposes nothing
        and supplier_lead_times.is_recommendation_confident

),

plant_changes as (

    select
        drifting.*,
        mrp_parameters.source_part_number as part_number,
        mrp_parameters.plant,
        mrp_parameters.planned_lead_time_days as plant_planned_lead_time_days
    from drifting
    inner join mrp_parameters
        on drifting.canonical_part_id = mrp_parameters.canonical_part_id
    where mrp_parameters.planned_lead_time_days <> drifting.recommended_lead_time_days

),

final as (

    select
        {{ surrogate_key([
            "'mrp_parameters'", "'planned_lead_time_days'", 'plant_changes.part_number',
            'plant_changes.plant'
        ]) }} as change_id,
        {{ finding_id(
            "'lead_time_drift'", "'mrp'", 'plant_changes.canonical_part_id',
            supplier_id='plant_changes.supplier_id'
        ) }} as finding_id,
        'MRP' as target_system,
        'mrp_parameters' as target_table,
        'planned_lead_time_days' as target_field,
        plant_changes.part_number,
        plant_changes.plant,
        plant_changes.plant_planned_lead_time_days as current_value,
        plant_changes.recommended_lead_time_days as proposed_value,
        'days' as unit,
        plant_changes.recommended_lead_time_days - plant_changes.plant_planned_lead_time_days
            as change_value,
        plant_changes.confidence,
        'Preferred supplier ' || plant_changes.supplier_id || ' delivers in '
        || cast(plant_changes.median_lead_time_days as {{ dbt.type_string() }})
        || ' days (median of ' || cast(plant_changes.n_lines as {{ dbt.type_string() }})
        || ' completed lines); MRP plans '
        || cast(plant_changes.plant_planned_lead_time_days as {{ dbt.type_string() }})
        || '.' as reason,
        {{ json_object([
            ['supplier_id', 'string', 'plant_changes.supplier_id'],
            ['n_lines', 'number', 'plant_changes.n_lines'],
            ['window_start', 'string', 'plant_changes.lead_time_window_start_date'],
            ['window_end', 'string', 'plant_changes.lead_time_window_end_date'],
            ['quantile', 'number', 'plant_changes.recommended_lead_time_quantile'],
            ['median_lead_time_days', 'number', 'plant_changes.median_lead_time_days'],
            ['lead_time_summary', 'string', 'plant_changes.lead_time_summary'],
            ['mrp_planned_lead_time_days_min', 'number',
                'plant_changes.mrp_planned_lead_time_days_min'],
            ['mrp_planned_lead_time_days_max', 'number',
                'plant_changes.mrp_planned_lead_time_days_max'],
            ['change_point_date', 'string', 'plant_changes.change_point_date'],
        ]) }} as evidence,
        plant_changes.canonical_part_id,
        plant_changes.canonical_part_number,
        plant_changes.supplier_id,
        plant_changes.n_lines,
        plant_changes.median_lead_time_days,
        reference_dates.reference_date
    from plant_changes
    cross join reference_dates

)

select * from final
