{#
    Proposed change set for the ERP purchasing info records: planned lead time per ERP part
    number and supplier, one row per lead_time_drift finding (check erp) of
    mart_master_data_exceptions whose recommendation differs from the current value.
    Written as <warehouse>/proposed_changes/proposed_erp_purchasing_info_lead_times.csv by
    dagster_project/warehouse/change_sets.py after every publish.

    - part_number: the ERP spelling of the purchasing info record the pipeline reads
      (int_purchasing_info__canonical: the canonical spelling's record first), so the row
      keys the record to change.
    - proposed_value: recommended_lead_time_days (the recommended_lead_time_quantile of the
      window's completed lines, rounded up); current_value: the ERP planned lead time.
      Only confident recommendations (mart_supplier_lead_times.is_recommendation_confident:
      a bounded confidence interval no wider than recommended_lead_time_ci_max_width_days).
    - confidence: lead_time_change_confidence() (macros/lead_time_recommendation.sql): high
      with at least change_set_high_confidence_min_lines lines, no lead-time shift and no
      recent-vs-earlier trend; medium otherwise (a shift means the window mixes an old and a
      new lead time: check the lines after change_point_date).
    - finding_id: the finding in mart_master_data_exceptions this change resolves.
#}

with

supplier_lead_times as {{ not_materialized() }} (

    select * from {{ ref('mart_supplier_lead_times') }}

),

purchasing_info as {{ not_materialized() }} (

    select * from {{ ref('int_purchasing_info__canonical') }}

),

reference_dates as {{ not_materialized() }} (

    select * from {{ ref('int_reference_dates') }}

),

drifting as (

    select
        supplier_lead_times.*,
        purchasing_info.source_part_number as part_number,
        {{ lead_time_change_confidence('supplier_lead_times') }} as confidence
    from supplier_lead_times
    inner join purchasing_info
        on {{ keys_match('supplier_lead_times', 'purchasing_info', part_supplier_key()) }}
    where
        supplier_lead_times.is_drifting_vs_erp
        -- a recommendation whose confidence interval is unbounded or too wide proposes nothing
        and supplier_lead_times.is_recommendation_confident
        and supplier_lead_times.recommended_lead_time_days
        <> supplier_lead_times.erp_planned_lead_time_days

),

final as (

    select
        {{ surrogate_key([
            "'erp_purchasing_info'", "'planned_lead_time_days'", 'drifting.part_number',
            'drifting.supplier_id'
        ]) }} as change_id,
        {{ finding_id(
            "'lead_time_drift'", "'erp'", 'drifting.canonical_part_id',
            supplier_id='drifting.supplier_id'
        ) }} as finding_id,
        'ERP' as target_system,
        'purchasing_info' as target_table,
        'planned_lead_time_days' as target_field,
        drifting.part_number,
        drifting.supplier_id,
        drifting.erp_planned_lead_time_days as current_value,
        drifting.recommended_lead_time_days as proposed_value,
        'days' as unit,
        drifting.recommended_lead_time_days - drifting.erp_planned_lead_time_days
            as change_value,
        drifting.confidence,
        'Actual lead time drifted from the plan: median '
        || cast(drifting.median_lead_time_days as {{ dbt.type_string() }})
        || ' days over ' || cast(drifting.n_lines as {{ dbt.type_string() }})
        || ' completed lines vs planned '
        || cast(drifting.erp_planned_lead_time_days as {{ dbt.type_string() }})
        || '; proposed = p'
        || cast(
            cast({{ round_double('drifting.recommended_lead_time_quantile * 100', 0) }} as integer)
            as {{ dbt.type_string() }}
        )
        || ' rounded up.' as reason,
        {{ json_object([
            ['n_lines', 'number', 'drifting.n_lines'],
            ['window_start', 'string', 'drifting.lead_time_window_start_date'],
            ['window_end', 'string', 'drifting.lead_time_window_end_date'],
            ['quantile', 'number', 'drifting.recommended_lead_time_quantile'],
            ['median_lead_time_days', 'number', 'drifting.median_lead_time_days'],
            ['p90_lead_time_days', 'number', 'drifting.p90_lead_time_days'],
            ['on_time_rate', 'number', round_double('drifting.on_time_rate', 4)],
            ['lead_time_summary', 'string', 'drifting.lead_time_summary'],
            ['recent_lead_times', 'string', 'drifting.recent_lead_times'],
            ['lead_time_trend', 'string', 'drifting.lead_time_trend'],
            ['change_point_date', 'string', 'drifting.change_point_date'],
            ['median_after_change_days', 'number', 'drifting.median_after_change_days'],
        ]) }} as evidence,
        drifting.canonical_part_id,
        drifting.canonical_part_number,
        drifting.n_lines,
        drifting.median_lead_time_days,
        drifting.recommended_lead_time_working_days,
        drifting.has_lead_time_shift,
        drifting.change_point_date,
        reference_dates.reference_date
    from drifting
    cross join reference_dates

)

select * from final
