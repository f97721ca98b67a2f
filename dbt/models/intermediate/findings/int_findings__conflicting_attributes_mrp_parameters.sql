{#
    conflicting_attributes, check mrp_parameters (medium; mrp_parameters): several MRP parameter
    records of one canonical part and plant (MRP spellings merged into the part) disagree. The
    proposal keeps the record int_mrp_parameters__canonical chose.
#}

{% set kind = {
    'finding_type': 'conflicting_attributes',
    'change_target': 'mrp_parameters',
    'source_model': 'int_mrp_parameters__canonical',
} %}

with

mrp_parameters as {{ not_materialized() }} (

    select * from {{ ref('int_mrp_parameters__canonical') }}

),

conflicting_records as (

    select
        canonical_part_id,
        plant,
        'mrp_parameters' as check_name,
        'medium' as severity,
        {{ finding_evidence([
            ['canonical_part_number', 'string'],
            ['n_parameter_records', 'number'],
            ['kept_record_part_number', 'string', 'source_part_number'],
        ]) }} as evidence,
        'Keep one MRP parameter record for ' || canonical_part_number || ' at plant '
        || plant || ' (' || source_part_number || ') and delete the other '
        || cast(n_parameter_records - 1 as {{ dbt.type_string() }}) || '.' as proposed_change
    from mrp_parameters
    where has_conflicting_parameters

),

final as (

    {{ finding_rows('conflicting_records', kind, keys=['plant']) }}

)

select * from final
