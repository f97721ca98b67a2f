with

source as {{ not_materialized() }} (

    select * from {{ source('raw', 'erp_purchasing_info') }}

),

renamed as (

    select
        part_number,
        nullif(trim(supplier_id), '') as supplier_id,
        cast(planned_lead_time_days as integer) as planned_lead_time_days,
        cast(min_order_qty as double) as min_order_qty,
        cast(order_multiple as double) as order_multiple,
        cast(unit_price as double) as unit_price,
        upper(nullif(trim(currency), '')) as currency,
        cast(preferred as boolean) as is_preferred,
        cast(last_reviewed_date as date) as last_reviewed_date,
        {{ landing_provenance_columns() }}
    from source

),

deduplicated as (

    {{ latest_extract('renamed', ['part_number', 'supplier_id']) }}

),

final as (

    select
        part_number,
        supplier_id,
        planned_lead_time_days,
        min_order_qty,
        order_multiple,
        unit_price,
        currency,
        is_preferred,
        last_reviewed_date,
        source_file,
        loaded_at
    from deduplicated

)

select * from final
