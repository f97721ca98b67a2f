{#
    stale_safety_stock (low; mrp_parameters): MRP parameters of a part and plant unchanged for
    longer than parameter_stale_after_days before the reference date, or with no change date
    (mart_safety_stock_review.is_stale). The proposal is a review, naming the recommended
    safety stock where there is one.
#}

{% set kind = {
    'finding_type': 'stale_safety_stock',
    'change_target': 'mrp_parameters',
    'source_model': 'mart_safety_stock_review',
} %}

with

safety_stock_review as {{ not_materialized() }} (

    select * from {{ ref('mart_safety_stock_review') }}

),

stale_parameters as (

    select
        canonical_part_id,
        plant,
        'mrp_parameters' as check_name,
        'low' as severity,
        {{ finding_evidence([
            ['canonical_part_number', 'string'],
            ['last_changed_date', 'string'],
            ['days_since_last_change', 'number'],
            ['reference_date', 'string'],
            ['current_safety_stock', 'number'],
            ['recommended_safety_stock', 'number', round_double('recommended_safety_stock', 2)],
        ]) }} as evidence,
        'Review the MRP parameters of ' || canonical_part_number || ' at plant ' || plant
        || ', unchanged since ' || coalesce(cast(last_changed_date as {{ dbt.type_string() }}), '?')
        || coalesce(
            '; recommended safety stock '
            || cast(recommended_safety_stock_qty as {{ dbt.type_string() }}),
            ''
        )
        || '.' as proposed_change
    from safety_stock_review
    where is_stale

),

final as (

    {{ finding_rows('stale_parameters', kind, keys=['plant']) }}

)

select * from final
