with

source as (

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
        _source_file as source_file,
        cast(_loaded_at as timestamp) as loaded_at,
        _row_hash as row_hash
    from source

),

deduplicated as (

    select
        *,
        {{ latest_extract_rank(['part_number', 'supplier_id']) }} as extract_rank
    from renamed

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
    where extract_rank = 1

)

select * from final
