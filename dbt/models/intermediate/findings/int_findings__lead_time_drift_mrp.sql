{#
    lead_time_drift, check mrp (mrp_parameters): the part's preferred supplier's median actual
    lead time drifts from the MRP planned lead time (mart_supplier_lead_times
    .is_drifting_vs_mrp; the MRP has no supplier, so only the preferred one proposes). high
    when |drift| exceeds twice both tolerances, else medium. The proposal sets the MRP planned
    lead time of all plants when the recommendation is confident, else asks for a review with
    the interval; when the lead time shifted, it names since when.
#}

{% set kind = {
    'finding_type': 'lead_time_drift',
    'change_target': 'mrp_parameters',
    'source_model': 'mart_supplier_lead_times',
} %}

with

supplier_lead_times as {{ not_materialized() }} (

    select * from {{ ref('mart_supplier_lead_times') }}

),

drifting_preferred_suppliers as (

    select
        canonical_part_id,
        supplier_id,
        'mrp' as check_name,
        {{ lead_time_drift_severity('mrp') }} as severity,
        {{ finding_evidence([
            ['canonical_part_number', 'string'],
            ['n_lines', 'number'],
            ['median_lead_time_days', 'number'],
            ['mrp_planned_lead_time_days', 'number'],
            ['mrp_planned_lead_time_days_min', 'number'],
            ['mrp_planned_lead_time_days_max', 'number'],
            ['drift_days', 'number', 'drift_vs_mrp_days'],
            ['recommended_lead_time_days', 'number'],
        ] + lead_time_recommendation_evidence() + [
            ['has_lead_time_shift', 'boolean'],
            ['change_point_date', 'string'],
        ]) }} as evidence,
        case
            when is_recommendation_confident
                then
                    'Set the MRP planned lead time of ' || canonical_part_number
                    || ' (all plants) to '
                    || cast(recommended_lead_time_days as {{ dbt.type_string() }})
                    || ' days, the actual lead time of preferred supplier ' || supplier_id || '.'
            else
                'Review the MRP planned lead time of ' || canonical_part_number
                || ' (all plants) against preferred supplier ' || supplier_id
                || ' (actual median '
                || cast({{ round_double('median_lead_time_days', 1) }} as {{ dbt.type_string() }})
                || ' days).'
                || {{ unconfident_recommendation_sentence() }}
        end
        || {{ lead_time_shift_sentence() }} as proposed_change
    from supplier_lead_times
    where is_drifting_vs_mrp and is_preferred_supplier

),

final as (

    {{ finding_rows('drifting_preferred_suppliers', kind, keys=['supplier_id']) }}

)

select * from final
