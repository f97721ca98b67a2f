{#
    Did the supplier get slower, and since when? One row per canonical part and supplier with
    completed lines (not excluded) in the trend window: the lead_time_trend_window_days days
    ending on the lead-time window end (the newest effective receipt date), by completion date.

    Recent versus earlier (by completion date, the deliveries a planner has seen):
    - recent: lines completed in the last lead_time_recent_days days of the window end;
    - earlier: lines completed in the statistics window (lead_time_window_days) before that.
    - lead_time_trend: slower / faster when both sides have at least
      lead_time_trend_min_lines lines and the recent median differs from the earlier one by
      more than lead_time_drift_tolerance_days and lead_time_drift_tolerance_ratio x the
      earlier median; stable otherwise; insufficient_data below the minimum.

    Change point (by order date: a supplier's lead time is decided when the order is placed):
    - the lines ordered inside the trend window, except those ordered less than the pair's p90
      lead time before the window end: of recent orders mostly the fast ones are delivered
      yet, and of orders placed before the window start only the slow ones fall inside it
      (both would fake a shift). Ordered by order_date (then po_number, po_line), every split
      between two different order dates with at least max(lead_time_trend_min_lines,
      ceil(sqrt(n))) lines on each side is a candidate (the sqrt keeps a handful of lines at
      either end of a long history from passing for a new regime);
    - the score of a split is the standardised difference of the two sides' medians:
      z = (median_after - median_before) / (1.2533 x sqrt(s_before^2 / n_before
      + s_after^2 / n_after)), with s the sample standard deviation of each side, at least
      1 day (1.2533 x s / sqrt(n) is the standard error of a median). Unlike the raw difference
      of medians, z does not favour the short, noisy segments at either end;
    - the best split maximises |z| (ties: the earlier split); change_point_date is the first
      order date after it. It is a lead-time shift (has_lead_time_shift) when |z| >=
      change_point_min_z and the difference of medians exceeds the drift tolerances (days and
      ratio of the median before).
    Running medians come from framed window quantiles (percentile_cont_window): n log n per
    part/supplier, no self-join over pairs of lines.
#}

{%- set partition = 'partition by canonical_part_id, supplier_id' -%}
{%- set line_order = 'order by order_date asc, po_number asc, po_line asc' -%}
{%- set before = partition
    ~ ' order by line_rank asc rows between unbounded preceding and current row' -%}
{%- set after = partition
    ~ ' order by line_rank asc rows between 1 following and unbounded following' -%}

with

po_line_lead_times as {{ not_materialized() }} (

    select * from {{ ref('fct_po_line_lead_times') }}

),

reference_dates as {{ not_materialized() }} (

    select * from {{ ref('int_reference_dates') }}

),

windows as (

    select
        lead_time_window_start_date,
        lead_time_window_end_date,
        cast(
            {{ dbt.dateadd(
                'day',
                '-(' ~ var('lead_time_trend_window_days') ~ ' - 1)',
                'lead_time_window_end_date'
            ) }} as date
        ) as trend_window_start_date,
        cast(
            {{ dbt.dateadd(
                'day',
                '-(' ~ var('lead_time_recent_days') ~ ' - 1)',
                'lead_time_window_end_date'
            ) }} as date
        ) as recent_period_start_date
    from reference_dates

),

-- a filter and a one-row join, read again by its three consumers: cheaper than copying its
-- 4.8 M rows at scale 100 (9.0 s instead of 9.8 s for the model's query)
trend_lines as {{ not_materialized() }} (

    select
        po_line_lead_times.canonical_part_id,
        po_line_lead_times.supplier_id,
        po_line_lead_times.canonical_part_number,
        po_line_lead_times.po_number,
        po_line_lead_times.po_line,
        po_line_lead_times.order_date,
        po_line_lead_times.completion_date,
        po_line_lead_times.lead_time_days,
        windows.trend_window_start_date,
        windows.lead_time_window_end_date as trend_window_end_date,
        windows.recent_period_start_date,
        po_line_lead_times.completion_date >= windows.recent_period_start_date as is_recent,
        po_line_lead_times.completion_date < windows.recent_period_start_date
        and po_line_lead_times.completion_date
        >= windows.lead_time_window_start_date as is_earlier
    from po_line_lead_times
    cross join windows
    where
        po_line_lead_times.exclusion_reason is null
        and po_line_lead_times.lead_time_days is not null
        and po_line_lead_times.canonical_part_id is not null
        and po_line_lead_times.supplier_id is not null
        and po_line_lead_times.completion_date
        between windows.trend_window_start_date and windows.lead_time_window_end_date

),

periods as (

    select
        canonical_part_id,
        supplier_id,
        min(canonical_part_number) as canonical_part_number,
        min(trend_window_start_date) as trend_window_start_date,
        min(trend_window_end_date) as trend_window_end_date,
        min(recent_period_start_date) as recent_period_start_date,
        count(*) as n_trend_lines,
        count(case when is_recent then 1 end) as n_recent_lines,
        {{ percentile_cont('case when is_recent then lead_time_days end', 0.5) }}
            as recent_median_lead_time_days,
        avg(case when is_recent then cast(lead_time_days as double) end)
            as recent_mean_lead_time_days,
        count(case when is_earlier then 1 end) as n_earlier_lines,
        {{ percentile_cont('case when is_earlier then lead_time_days end', 0.5) }}
            as earlier_median_lead_time_days,
        avg(case when is_earlier then cast(lead_time_days as double) end)
            as earlier_mean_lead_time_days
    from trend_lines
    group by
        canonical_part_id,
        supplier_id

),

delivery_horizons as (

    select
        canonical_part_id,
        supplier_id,
        {{ percentile_cont('lead_time_days', 0.9) }} as p90_lead_time_days
    from trend_lines
    group by
        canonical_part_id,
        supplier_id

),

change_point_lines as (

    select
        trend_lines.canonical_part_id,
        trend_lines.supplier_id,
        trend_lines.po_number,
        trend_lines.po_line,
        trend_lines.order_date,
        trend_lines.lead_time_days
    from trend_lines
    inner join delivery_horizons
        on {{ keys_match('trend_lines', 'delivery_horizons', part_supplier_key()) }}
    where
        trend_lines.order_date >= trend_lines.trend_window_start_date
        and {{ dbt.datediff('trend_lines.order_date', 'trend_lines.trend_window_end_date', 'day') }}
        >= delivery_horizons.p90_lead_time_days

),

ordered_lines as (

    select
        canonical_part_id,
        supplier_id,
        order_date,
        lead_time_days,
        row_number() over ({{ partition }} {{ line_order }}) as line_rank,
        count(*) over ({{ partition }}) as n_lines,
        lead(order_date) over ({{ partition }} {{ line_order }}) as next_order_date
    from change_point_lines

),

splits as (

    select
        canonical_part_id,
        supplier_id,
        line_rank,
        n_lines,
        order_date,
        next_order_date,
        {{ percentile_cont_window('lead_time_days', 0.5, before) }} as median_before,
        {{ percentile_cont_window('lead_time_days', 0.5, after) }} as median_after,
        stddev_samp(lead_time_days) over ({{ before }}) as stddev_before,
        stddev_samp(lead_time_days) over ({{ after }}) as stddev_after
    from ordered_lines

),

candidates as (

    select
        canonical_part_id,
        supplier_id,
        line_rank as n_lines_before_change,
        n_lines - line_rank as n_lines_after_change,
        order_date as last_order_date_before_change,
        next_order_date as first_order_date_after_change,
        median_before,
        median_after,
        (median_after - median_before)
        / (
            1.2533 * sqrt(
                greatest(coalesce(stddev_before, 0), 1.0)
                * greatest(coalesce(stddev_before, 0), 1.0) / line_rank
                + greatest(coalesce(stddev_after, 0), 1.0)
                * greatest(coalesce(stddev_after, 0), 1.0) / (n_lines - line_rank)
            )
        ) as change_point_z
    from splits
    where
        line_rank >= greatest({{ var('lead_time_trend_min_lines') }}, ceil(sqrt(n_lines)))
        and n_lines - line_rank
        >= greatest({{ var('lead_time_trend_min_lines') }}, ceil(sqrt(n_lines)))
        and next_order_date > order_date

),

ranked_candidates as (

    select
        *,
        row_number() over (
            partition by canonical_part_id, supplier_id
            order by abs(change_point_z) desc, n_lines_before_change asc
        ) as candidate_rank
    from candidates

),

best_splits as (

    select * from ranked_candidates
    where candidate_rank = 1

),

joined as (

    select
        periods.*,
        best_splits.first_order_date_after_change,
        best_splits.last_order_date_before_change,
        best_splits.n_lines_before_change,
        best_splits.n_lines_after_change,
        best_splits.median_before as median_before_change_days,
        best_splits.median_after as median_after_change_days,
        best_splits.median_after - best_splits.median_before as change_point_shift_days,
        best_splits.change_point_z,
        periods.recent_median_lead_time_days - periods.earlier_median_lead_time_days
            as recent_vs_earlier_median_days,
        periods.n_recent_lines >= {{ var('lead_time_trend_min_lines') }}
        and periods.n_earlier_lines >= {{ var('lead_time_trend_min_lines') }}
            as has_trend_evidence,
        coalesce(
            abs(best_splits.change_point_z) >= {{ var('change_point_min_z') }}
            and {{ exceeds_drift_tolerance(
                'best_splits.median_after - best_splits.median_before',
                'best_splits.median_before',
            ) }},
            false
        ) as has_lead_time_shift
    from periods
    left join best_splits
        on {{ keys_match('periods', 'best_splits', part_supplier_key()) }}

),

final as (

    select
        canonical_part_id,
        supplier_id,
        canonical_part_number,
        trend_window_start_date,
        trend_window_end_date,
        n_trend_lines,
        recent_period_start_date,
        n_recent_lines,
        recent_median_lead_time_days,
        recent_mean_lead_time_days,
        n_earlier_lines,
        earlier_median_lead_time_days,
        earlier_mean_lead_time_days,
        recent_vs_earlier_median_days,
        recent_vs_earlier_median_days / nullif(earlier_median_lead_time_days, 0)
            as recent_vs_earlier_median_ratio,
        case
            when not has_trend_evidence then 'insufficient_data'
            when
                {{ exceeds_drift_tolerance(
                    'recent_vs_earlier_median_days', 'earlier_median_lead_time_days'
                ) }}
                then case when recent_vs_earlier_median_days > 0 then 'slower' else 'faster' end
            else 'stable'
        end as lead_time_trend,
        has_lead_time_shift,
        case when has_lead_time_shift then first_order_date_after_change end
            as change_point_date,
        case
            when has_lead_time_shift and change_point_shift_days > 0 then 'slower'
            when has_lead_time_shift then 'faster'
        end as shift_direction,
        first_order_date_after_change as best_split_order_date,
        last_order_date_before_change,
        n_lines_before_change,
        n_lines_after_change,
        median_before_change_days,
        median_after_change_days,
        change_point_shift_days,
        change_point_z
    from joined

)

select * from final
