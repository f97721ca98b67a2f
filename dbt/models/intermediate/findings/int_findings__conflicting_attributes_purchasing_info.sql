{#
    conflicting_attributes, check erp_purchasing_info (medium; erp_purchasing_info): several
    purchasing info records of one canonical part and supplier (ERP spellings merged into the
    part) disagree on the planned lead time or the order policy. The proposal keeps the record
    int_purchasing_info__canonical chose.
#}

{% set kind = {
    'finding_type': 'conflicting_attributes',
    'change_target': 'erp_purchasing_info',
    'source_model': 'int_purchasing_info__canonical',
} %}

with

purchasing_info as {{ not_materialized() }} (

    select * from {{ ref('int_purchasing_info__canonical') }}

),

conflicting_records as (

    select
        canonical_part_id,
        supplier_id,
        'erp_purchasing_info' as check_name,
        'medium' as severity,
        {{ finding_evidence([
            ['canonical_part_number', 'string'],
            ['n_info_records', 'number'],
            ['min_planned_lead_time_days', 'number'],
            ['max_planned_lead_time_days', 'number'],
            ['has_conflicting_order_policy', 'boolean'],
            ['kept_record_part_number', 'string', 'source_part_number'],
        ]) }} as evidence,
        'Keep one purchasing info record for ' || canonical_part_number || ' from supplier '
        || supplier_id || ' (planned lead time '
        || cast(planned_lead_time_days as {{ dbt.type_string() }})
        || ' days) and delete the other '
        || cast(n_info_records - 1 as {{ dbt.type_string() }}) || '.' as proposed_change
    from purchasing_info
    where has_conflicting_planned_lead_time or has_conflicting_order_policy

),

final as (

    {{ finding_rows('conflicting_records', kind, keys=['supplier_id']) }}

)

select * from final
