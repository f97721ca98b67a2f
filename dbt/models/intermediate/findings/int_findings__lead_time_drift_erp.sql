{#
    lead_time_drift, check erp (erp_purchasing_info): a part/supplier whose median actual lead
    time drifts from its ERP planned lead time (mart_supplier_lead_times.is_drifting_vs_erp),
    one finding per drifting supplier. high when |drift| exceeds twice both tolerances
    (lead_time_drift_tolerance_days and lead_time_drift_tolerance_ratio x planned), else
    medium. The proposal is the recommended lead time when it is confident (a bounded interval
    no wider than recommended_lead_time_ci_max_width_days), else a review with the interval;
    when the lead time shifted, it names since when.
#}

{% set kind = {
    'finding_type': 'lead_time_drift',
    'change_target': 'erp_purchasing_info',
    'source_model': 'mart_supplier_lead_times',
} %}

with

supplier_lead_times as {{ not_materialized() }} (

    select * from {{ ref('mart_supplier_lead_times') }}

),

drifting_suppliers as (

    select
        canonical_part_id,
        supplier_id,
        'erp' as check_name,
        {{ lead_time_drift_severity('erp') }} as severity,
        {{ finding_evidence([
            ['canonical_part_number', 'string'],
            ['n_lines', 'number'],
            ['median_lead_time_days', 'number'],
            ['erp_planned_lead_time_days', 'number'],
            ['drift_days', 'number', 'drift_vs_erp_days'],
            ['recommended_lead_time_days', 'number'],
            ['recommended_lead_time_quantile', 'number'],
        ] + lead_time_recommendation_evidence() + [
            ['lead_time_trend', 'string'],
            ['has_lead_time_shift', 'boolean'],
            ['change_point_date', 'string'],
            ['median_before_change_days', 'number'],
            ['median_after_change_days', 'number'],
        ]) }} as evidence,
        case
            when is_recommendation_confident
                then
                    'Set the ERP planned lead time of ' || canonical_part_number
                    || ' from supplier ' || supplier_id || ' from '
                    || cast(erp_planned_lead_time_days as {{ dbt.type_string() }}) || ' to '
                    || cast(recommended_lead_time_days as {{ dbt.type_string() }})
                    || ' days (p'
                    || cast(
                        cast(
                            {{ round_double('recommended_lead_time_quantile * 100', 0) }}
                            as integer
                        ) as {{ dbt.type_string() }}
                    )
                    || ' of ' || cast(n_lines as {{ dbt.type_string() }})
                    || ' completed lines).'
            else
                'Review the ERP planned lead time of ' || canonical_part_number
                || ' from supplier ' || supplier_id || ' ('
                || cast(erp_planned_lead_time_days as {{ dbt.type_string() }})
                || ' days; actual median '
                || cast({{ round_double('median_lead_time_days', 1) }} as {{ dbt.type_string() }})
                || ').'
                || {{ unconfident_recommendation_sentence() }}
        end
        || {{ lead_time_shift_sentence() }} as proposed_change
    from supplier_lead_times
    where is_drifting_vs_erp

),

final as (

    {{ finding_rows('drifting_suppliers', kind, keys=['supplier_id']) }}

)

select * from final
