{#
    Lead-time statistics per canonical part and supplier (DESIGN.md "Lead-time statistics").

    Lines: fct_po_line_lead_times rows with no exclusion_reason and a completion_date inside
    the trailing window [lead_time_window_start_date, lead_time_window_end_date] of
    int_reference_dates (short-closed lines included, with their last-receipt completion).
    Rows: every part/supplier with such lines, plus every ERP purchasing info record (n_lines
    0, statistics null, low_confidence) so planned lead times without evidence are visible.

    - median / p90 / recommended quantile: linear interpolation (percentile_cont);
    - stddev: sample standard deviation (null for a single line);
    - on_time_rate: share of lines completed on or before promised_date, else requested_date;
    - erp_planned_lead_time_days: the part/supplier's ERP purchasing info record
      (int_purchasing_info__canonical);
    - mrp_planned_lead_time_days: MRP has no supplier: the median over the part's plants of
      their planned lead time (min/max over plants beside it);
    - drift = median actual - planned, for ERP and MRP separately; is_drifting_vs_* when not
      low_confidence and |drift| exceeds both lead_time_drift_tolerance_days and
      lead_time_drift_tolerance_ratio x planned (days matter for short lead times, the ratio
      for long ones);
    - recommended_lead_time_days = ceil(recommended_lead_time_quantile quantile, first rounded
      to 6 decimals so float noise such as 14.000000000000002 does not add a day), only when
      n_lines >= min_lines_for_recommendation; otherwise low_confidence.
#}

with

po_line_lead_times as (

    select * from {{ ref('fct_po_line_lead_times') }}

),

reference_dates as (

    select * from {{ ref('int_reference_dates') }}

),

purchasing_info as (

    select * from {{ ref('int_purchasing_info__canonical') }}

),

mrp_parameters as (

    select * from {{ ref('int_mrp_parameters__canonical') }}

),

parts as (

    select * from {{ ref('dim_parts') }}

),

window_lines as (

    select
        po_line_lead_times.canonical_part_id,
        po_line_lead_times.supplier_id,
        po_line_lead_times.lead_time_days,
        po_line_lead_times.completion_date,
        po_line_lead_times.short_closed,
        case
            when po_line_lead_times.completion_date <= po_line_lead_times.due_date then 1.0
            else 0.0
        end as on_time
    from po_line_lead_times
    cross join reference_dates
    where
        po_line_lead_times.exclusion_reason is null
        and po_line_lead_times.completion_date is not null
        and po_line_lead_times.canonical_part_id is not null
        and po_line_lead_times.supplier_id is not null
        and po_line_lead_times.completion_date
        between reference_dates.lead_time_window_start_date
        and reference_dates.lead_time_window_end_date

),

line_statistics as (

    select
        canonical_part_id,
        supplier_id,
        count(*) as n_lines,
        count(case when short_closed then 1 end) as n_short_closed_lines,
        avg(cast(lead_time_days as double)) as mean_lead_time_days,
        {{ percentile_cont('lead_time_days', 0.5) }} as median_lead_time_days,
        {{ percentile_cont('lead_time_days', 0.9) }} as p90_lead_time_days,
        {{ percentile_cont('lead_time_days', var('recommended_lead_time_quantile')) }}
            as quantile_lead_time_days,
        stddev_samp(lead_time_days) as stddev_lead_time_days,
        min(lead_time_days) as min_lead_time_days,
        max(lead_time_days) as max_lead_time_days,
        avg(on_time) as on_time_rate,
        min(completion_date) as first_completion_date,
        max(completion_date) as last_completion_date
    from window_lines
    group by
        canonical_part_id,
        supplier_id

),

mrp_planned as (

    select
        canonical_part_id,
        count(*) as n_mrp_plants,
        {{ percentile_cont('planned_lead_time_days', 0.5) }} as mrp_planned_lead_time_days,
        min(planned_lead_time_days) as mrp_planned_lead_time_days_min,
        max(planned_lead_time_days) as mrp_planned_lead_time_days_max
    from mrp_parameters
    group by canonical_part_id

),

part_suppliers as (

    select
        canonical_part_id,
        supplier_id
    from line_statistics

    union

    select
        canonical_part_id,
        supplier_id
    from purchasing_info

),

joined as (

    select
        part_suppliers.canonical_part_id,
        part_suppliers.supplier_id,
        parts.canonical_part_number,
        coalesce(line_statistics.n_lines, 0) as n_lines,
        coalesce(line_statistics.n_short_closed_lines, 0) as n_short_closed_lines,
        line_statistics.mean_lead_time_days,
        line_statistics.median_lead_time_days,
        line_statistics.p90_lead_time_days,
        line_statistics.quantile_lead_time_days,
        line_statistics.stddev_lead_time_days,
        line_statistics.min_lead_time_days,
        line_statistics.max_lead_time_days,
        line_statistics.on_time_rate,
        line_statistics.first_completion_date,
        line_statistics.last_completion_date,
        purchasing_info.planned_lead_time_days as erp_planned_lead_time_days,
        mrp_planned.mrp_planned_lead_time_days,
        mrp_planned.mrp_planned_lead_time_days_min,
        mrp_planned.mrp_planned_lead_time_days_max,
        coalesce(mrp_planned.n_mrp_plants, 0) as n_mrp_plants,
        purchasing_info.canonical_part_id is not null as has_purchasing_info,
        coalesce(purchasing_info.is_selected_preferred_supplier, false)
            as is_preferred_supplier,
        reference_dates.lead_time_window_start_date,
        reference_dates.lead_time_window_end_date,
        coalesce(line_statistics.n_lines, 0)
        < {{ var('min_lines_for_recommendation') }} as low_confidence
    from part_suppliers
    cross join reference_dates
    left join line_statistics
        on
            part_suppliers.canonical_part_id = line_statistics.canonical_part_id
            and part_suppliers.supplier_id = line_statistics.supplier_id
    left join purchasing_info
        on
            part_suppliers.canonical_part_id = purchasing_info.canonical_part_id
            and part_suppliers.supplier_id = purchasing_info.supplier_id
    left join mrp_planned
        on part_suppliers.canonical_part_id = mrp_planned.canonical_part_id
    left join parts
        on part_suppliers.canonical_part_id = parts.canonical_part_id

),

final as (

    select
        canonical_part_id,
        supplier_id,
        n_lines,
        mean_lead_time_days,
        median_lead_time_days,
        p90_lead_time_days,
        stddev_lead_time_days,
        min_lead_time_days,
        max_lead_time_days,
        on_time_rate,
        erp_planned_lead_time_days,
        mrp_planned_lead_time_days,
        median_lead_time_days - erp_planned_lead_time_days as drift_vs_erp_days,
        median_lead_time_days - mrp_planned_lead_time_days as drift_vs_mrp_days,
        case
            when not low_confidence then cast(ceil(round(quantile_lead_time_days, 6)) as integer)
        end as recommended_lead_time_days,
        low_confidence,
        canonical_part_number,
        n_short_closed_lines,
        cast({{ var('recommended_lead_time_quantile') }} as double)
            as recommended_lead_time_quantile,
        quantile_lead_time_days,
        coalesce(
            not low_confidence
            and abs(median_lead_time_days - erp_planned_lead_time_days)
            > {{ var('lead_time_drift_tolerance_days') }}
            and abs(median_lead_time_days - erp_planned_lead_time_days)
            > {{ var('lead_time_drift_tolerance_ratio') }} * erp_planned_lead_time_days,
            false
        ) as is_drifting_vs_erp,
        coalesce(
            not low_confidence
            and abs(median_lead_time_days - mrp_planned_lead_time_days)
            > {{ var('lead_time_drift_tolerance_days') }}
            and abs(median_lead_time_days - mrp_planned_lead_time_days)
            > {{ var('lead_time_drift_tolerance_ratio') }} * mrp_planned_lead_time_days,
            false
        ) as is_drifting_vs_mrp,
        mrp_planned_lead_time_days_min,
        mrp_planned_lead_time_days_max,
        n_mrp_plants,
        has_purchasing_info,
        is_preferred_supplier,
        first_completion_date,
        last_completion_date,
        lead_time_window_start_date,
        lead_time_window_end_date
    from joined

)

select * from final
