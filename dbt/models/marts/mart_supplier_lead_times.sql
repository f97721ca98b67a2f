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
      n_lines >= min_lines_for_recommendation; otherwise low_confidence, and
      low_confidence_reason says why (no_completed_lines, too_few_lines);
    - the same statistics in working days (*_working_days, Monday to Friday without the seed
      holidays) beside the calendar ones; calendar days stay the reference for drift and the
      recommendation;
    - evidence for a reviewer: the window, the quantile used, quartiles, lead_time_summary
      (text) and recent_lead_times (the latest lead_time_evidence_lines lines: completion date,
      lead time, PO line);
    - trend (mart_supplier_lead_time_trends): recent vs earlier median and the change point,
      if the lead time shifted inside the trend window.
    - confidence of the recommendation (recommended_lead_time_ci_*, is_recommendation_confident):
      Distribution-free confidence interval of the recommended quantile q from order statistics:
      with B ~ Binomial(n, q) the number of lines at or below the true quantile,
      P(x(l) <= true quantile <= x(u)) = P(l <= B <= u - 1). The lower rank l is the largest k
      with P(B <= k - 1) <= alpha / 2, the upper rank u the smallest k with
      P(B <= k - 1) >= 1 - alpha / 2 (alpha = 1 - recommended_lead_time_ci_level). The binomial
      CDF is summed exactly over the ranks 1..n (log binomial coefficients accumulated rank by
      rank, so no gamma function is needed and the SQL stays adapter-neutral). l and u depend on
      n only, so they are found once per distinct line count (interval_ranks: 819 counts and
      0.38 M ranks for 31,598 part/suppliers and 3.3 M lines at scale 100), not along every
      part/supplier's lines. When no rank qualifies the bound does not exist (too few lines for
      this level): null.
#}

with

po_line_lead_times as {{ not_materialized() }} (

    select * from {{ ref('fct_po_line_lead_times') }}

),

reference_dates as {{ not_materialized() }} (

    select * from {{ ref('int_reference_dates') }}

),

purchasing_info as {{ not_materialized() }} (

    select * from {{ ref('int_purchasing_info__canonical') }}

),

mrp_parameters as {{ not_materialized() }} (

    select * from {{ ref('int_mrp_parameters__canonical') }}

),

parts as {{ not_materialized() }} (

    select * from {{ ref('dim_parts') }}

),

lead_time_trends as {{ not_materialized() }} (

    select * from {{ ref('mart_supplier_lead_time_trends') }}

),

window_lines as (

    select
        po_line_lead_times.canonical_part_id,
        po_line_lead_times.supplier_id,
        po_line_lead_times.po_number,
        po_line_lead_times.po_line,
        po_line_lead_times.lead_time_days,
        po_line_lead_times.lead_time_working_days,
        po_line_lead_times.completion_date,
        po_line_lead_times.short_closed,
        row_number() over (
            partition by po_line_lead_times.canonical_part_id, po_line_lead_times.supplier_id
            order by
                po_line_lead_times.completion_date desc,
                po_line_lead_times.po_number desc,
                po_line_lead_times.po_line desc
        ) as recency_rank,
        case
            when po_line_lead_times.completion_date <= po_line_lead_times.due_date
                then cast(1 as double)
            else cast(0 as double)
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

ranked_window_lines as (

    select
        *,
        row_number() over (
            partition by canonical_part_id, supplier_id
            order by lead_time_days, po_number, po_line
        ) as line_rank,
        count(*) over (partition by canonical_part_id, supplier_id) as n_window_lines
    from window_lines

),

interval_rank_counts as (

    -- every rank 1..n of every line count n that occurs: a part/supplier with n lines carries
    -- them all
    select distinct
        n_window_lines,
        line_rank
    from ranked_window_lines

),

binomial_terms as (

    select
        n_window_lines,
        line_rank,
        -- ln C(n, line_rank - 1): the sum of ln((n - m + 1) / m) over m < line_rank
        coalesce(
            sum(ln(cast(n_window_lines - line_rank + 1 as double) / line_rank)) over (
                partition by n_window_lines
                order by line_rank
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as log_binomial_coefficient
    from interval_rank_counts

),

binomial_probabilities as (

    select
        n_window_lines,
        line_rank,
        -- P(B = line_rank - 1)
        exp(
            log_binomial_coefficient
            + (line_rank - 1) * ln({{ var('recommended_lead_time_quantile') }})
            + (n_window_lines - line_rank + 1)
            * ln(1 - {{ var('recommended_lead_time_quantile') }})
        ) as probability_of_rank_before
    from binomial_terms

),

ranks_with_cdf as (

    select
        n_window_lines,
        line_rank,
        -- P(B <= line_rank - 1)
        sum(probability_of_rank_before) over (
            partition by n_window_lines
            order by line_rank
            rows between unbounded preceding and current row
        ) as cdf_before_rank
    from binomial_probabilities

),

interval_ranks as (

    select
        n_window_lines,
        max(
            case
                when cdf_before_rank <= (1 - {{ var('recommended_lead_time_ci_level') }}) / 2
                    then line_rank
            end
        ) as ci_low_rank,
        min(
            case
                when cdf_before_rank >= 1 - (1 - {{ var('recommended_lead_time_ci_level') }}) / 2
                    then line_rank
            end
        ) as ci_high_rank
    from ranks_with_cdf
    group by n_window_lines

),

lines_with_interval_ranks as (

    select
        ranked_window_lines.*,
        interval_ranks.ci_low_rank,
        interval_ranks.ci_high_rank
    from ranked_window_lines
    inner join interval_ranks
        on ranked_window_lines.n_window_lines = interval_ranks.n_window_lines

),

line_statistics as (

    select
        canonical_part_id,
        supplier_id,
        count(*) as n_lines,
        count(case when short_closed then 1 end) as n_short_closed_lines,
        {{ lead_time_distribution('lead_time_days') }},
        {{ percentile_cont('lead_time_days', 0.25) }} as p25_lead_time_days,
        {{ percentile_cont('lead_time_days', 0.75) }} as p75_lead_time_days,
        avg(on_time) as on_time_rate,
        min(completion_date) as first_completion_date,
        max(completion_date) as last_completion_date,
        {{ lead_time_distribution('lead_time_working_days') }},
        -- the lines are ranked by lead time: x(l) and x(u) are the lead times at those ranks
        max(case when line_rank = ci_low_rank then lead_time_days end)
            as recommended_lead_time_ci_low_days,
        max(case when line_rank = ci_high_rank then lead_time_days end)
            as recommended_lead_time_ci_high_days
    from lines_with_interval_ranks
    group by
        canonical_part_id,
        supplier_id

),

recent_lines as (

    select
        canonical_part_id,
        supplier_id,
        {{ dbt.listagg(
            "cast(completion_date as " ~ dbt.type_string() ~ ") || ': '
            || cast(lead_time_days as " ~ dbt.type_string() ~ ") || 'd ('
            || po_number || '/' || cast(po_line as " ~ dbt.type_string() ~ ") || ')'",
            "'; '",
            'order by recency_rank'
        ) }} as recent_lead_times
    from window_lines
    where recency_rank <= {{ var('lead_time_evidence_lines') }}
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
        line_statistics.p25_lead_time_days,
        line_statistics.p75_lead_time_days,
        line_statistics.p90_lead_time_days,
        line_statistics.quantile_lead_time_days,
        line_statistics.stddev_lead_time_days,
        line_statistics.min_lead_time_days,
        line_statistics.max_lead_time_days,
        line_statistics.on_time_rate,
        line_statistics.first_completion_date,
        line_statistics.last_completion_date,
        line_statistics.mean_lead_time_working_days,
        line_statistics.median_lead_time_working_days,
        line_statistics.p90_lead_time_working_days,
        line_statistics.quantile_lead_time_working_days,
        line_statistics.stddev_lead_time_working_days,
        line_statistics.min_lead_time_working_days,
        line_statistics.max_lead_time_working_days,
        line_statistics.recommended_lead_time_ci_low_days,
        line_statistics.recommended_lead_time_ci_high_days,
        recent_lines.recent_lead_times,
        lead_time_trends.lead_time_trend,
        lead_time_trends.n_recent_lines,
        lead_time_trends.recent_median_lead_time_days,
        lead_time_trends.n_earlier_lines,
        lead_time_trends.earlier_median_lead_time_days,
        coalesce(lead_time_trends.has_lead_time_shift, false) as has_lead_time_shift,
        lead_time_trends.change_point_date,
        lead_time_trends.shift_direction,
        case
            when lead_time_trends.has_lead_time_shift
                then lead_time_trends.median_before_change_days
        end as median_before_change_days,
        case
            when lead_time_trends.has_lead_time_shift
                then lead_time_trends.median_after_change_days
        end as median_after_change_days,
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
        on {{ keys_match('part_suppliers', 'line_statistics', part_supplier_key()) }}
    left join purchasing_info
        on {{ keys_match('part_suppliers', 'purchasing_info', part_supplier_key()) }}
    left join mrp_planned
        on part_suppliers.canonical_part_id = mrp_planned.canonical_part_id
    left join parts
        on part_suppliers.canonical_part_id = parts.canonical_part_id
    left join recent_lines
        on {{ keys_match('part_suppliers', 'recent_lines', part_supplier_key()) }}
    left join lead_time_trends
        on {{ keys_match('part_suppliers', 'lead_time_trends', part_supplier_key()) }}

),

confidence as (

    select
        *,
        case
            when low_confidence then null
            when
                recommended_lead_time_ci_low_days is null
                or recommended_lead_time_ci_high_days is null
                then 'interval_unbounded'
            when
                recommended_lead_time_ci_high_days - recommended_lead_time_ci_low_days
                > {{ var('recommended_lead_time_ci_max_width_days') }}
                and recommended_lead_time_ci_high_days - recommended_lead_time_ci_low_days
                > {{ var('recommended_lead_time_ci_max_width_ratio') }}
                * ceil({{ round_double('quantile_lead_time_days', 6) }})
                then 'interval_too_wide'
        end as wide_interval_reason
    from joined

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
            when not low_confidence
                then cast(ceil({{ round_double('quantile_lead_time_days', 6) }}) as integer)
        end as recommended_lead_time_days,
        low_confidence,
        canonical_part_number,
        n_short_closed_lines,
        cast({{ var('recommended_lead_time_quantile') }} as double)
            as recommended_lead_time_quantile,
        quantile_lead_time_days,
        coalesce(
            not low_confidence
            and {{ exceeds_drift_tolerance(
                'median_lead_time_days - erp_planned_lead_time_days',
                'erp_planned_lead_time_days',
            ) }},
            false
        ) as is_drifting_vs_erp,
        coalesce(
            not low_confidence
            and {{ exceeds_drift_tolerance(
                'median_lead_time_days - mrp_planned_lead_time_days',
                'mrp_planned_lead_time_days',
            ) }},
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
        lead_time_window_end_date,
        case
            when n_lines = 0 then 'no_completed_lines'
            when low_confidence then 'too_few_lines'
        end as low_confidence_reason,
        cast({{ var('min_lines_for_recommendation') }} as integer)
            as min_lines_for_recommendation,
        p25_lead_time_days,
        p75_lead_time_days,
        case
            when n_lines > 0
                then
                    'n ' || cast(n_lines as {{ dbt.type_string() }})
                    || ': min ' || cast(min_lead_time_days as {{ dbt.type_string() }})
                    || ', p25 '
                    || cast({{ round_double('p25_lead_time_days', 1) }} as {{ dbt.type_string() }})
                    || ', median '
                    || cast(
                        {{ round_double('median_lead_time_days', 1) }} as {{ dbt.type_string() }}
                    )
                    || ', p75 '
                    || cast({{ round_double('p75_lead_time_days', 1) }} as {{ dbt.type_string() }})
                    || ', p90 '
                    || cast({{ round_double('p90_lead_time_days', 1) }} as {{ dbt.type_string() }})
                    || ', max ' || cast(max_lead_time_days as {{ dbt.type_string() }})
                    || ', mean '
                    || cast({{ round_double('mean_lead_time_days', 1) }} as {{ dbt.type_string() }})
                    || coalesce(
                        ', sd ' || cast(
                            {{ round_double('stddev_lead_time_days', 1) }}
                            as {{ dbt.type_string() }}
                        ),
                        ''
                    )
                    || ' days'
        end as lead_time_summary,
        recent_lead_times,
        mean_lead_time_working_days,
        median_lead_time_working_days,
        p90_lead_time_working_days,
        stddev_lead_time_working_days,
        min_lead_time_working_days,
        max_lead_time_working_days,
        case
            when not low_confidence
                then cast(ceil({{ round_double('quantile_lead_time_working_days', 6) }}) as integer)
        end as recommended_lead_time_working_days,
        lead_time_trend,
        n_recent_lines,
        recent_median_lead_time_days,
        n_earlier_lines,
        earlier_median_lead_time_days,
        has_lead_time_shift,
        change_point_date,
        shift_direction,
        median_before_change_days,
        median_after_change_days,
        recommended_lead_time_ci_low_days,
        recommended_lead_time_ci_high_days,
        cast({{ var('recommended_lead_time_ci_level') }} as double)
            as recommended_lead_time_ci_level,
        not low_confidence and wide_interval_reason is null as is_recommendation_confident,
        coalesce(
            case when n_lines = 0 then 'no_completed_lines' end,
            case when low_confidence then 'too_few_lines' end,
            wide_interval_reason
        ) as recommendation_confidence_reason
    from confidence

)

select * from final
