{#
    false_availability (high; mrp_parameters): the MRP reports a part available at a plant
    while stock is short and the supply it counts is a past-due PO line
    (mart_availability_check.false_available). One finding per part and plant, with the
    evidence of its latest falsely available check (ties: the smallest MRP part number).
#}

{% set kind = {
    'finding_type': 'false_availability',
    'change_target': 'mrp_parameters',
    'source_model': 'mart_availability_check',
} %}

with

availability_check as {{ not_materialized() }} (

    select * from {{ ref('mart_availability_check') }}

),

false_available_ranked as (

    select
        *,
        row_number() over (
            partition by canonical_part_id, plant
            order by as_of_date desc, mrp_part_number asc
        ) as recency_rank,
        count(*) over (partition by canonical_part_id, plant) as n_false_available_checks
    from availability_check
    where false_available

),

latest_false_availability as (

    select
        canonical_part_id,
        covering_supplier_id as supplier_id,
        plant,
        'mrp_availability' as check_name,
        'high' as severity,
        {{ finding_evidence([
            ['canonical_part_number', 'string'],
            ['n_false_available_checks', 'number'],
            ['latest_as_of_date', 'string', 'as_of_date'],
            ['required_qty', 'number'],
            ['on_hand_qty', 'number'],
            ['inventory_snapshot_date', 'string'],
            ['covering_po_number', 'string'],
            ['covering_po_line', 'number'],
            ['covering_due_date', 'string'],
            ['days_past_due', 'number'],
        ]) }} as evidence,
        'MRP counts past-due PO ' || covering_po_number || '/'
        || cast(covering_po_line as {{ dbt.type_string() }}) || ' (due '
        || cast(covering_due_date as {{ dbt.type_string() }}) || ', '
        || cast(days_past_due as {{ dbt.type_string() }})
        || ' days late) as supply for ' || canonical_part_number || ' at plant ' || plant
        || ': expedite or re-date the PO line so MRP stops reporting the part available.'
            as proposed_change
    from false_available_ranked
    where recency_rank = 1

),

final as (

    {{ finding_rows('latest_false_availability', kind, keys=['supplier_id', 'plant']) }}

)

select * from final
