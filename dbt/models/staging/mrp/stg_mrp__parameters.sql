with

source as {{ not_materialized() }} (

    select * from {{ source('raw', 'mrp_parameters') }}

),

renamed as (

    select
        part_number,
        nullif(trim(plant), '') as plant,
        cast(planned_lead_time_days as integer) as planned_lead_time_days,
        cast(safety_stock_qty as double) as safety_stock_qty,
        cast(reorder_point as double) as reorder_point,
        upper(trim(lot_size_policy)) as lot_size_policy,
        cast(fixed_lot_size as double) as fixed_lot_size,
        cast(min_lot_size as double) as min_lot_size,
        cast(last_changed_date as date) as last_changed_date,
        {{ landing_provenance_columns() }}
    from source

),

deduplicated as (

    {{ latest_extract('renamed', ['part_number', 'plant']) }}

),

final as (

    select
        part_number,
        plant,
        planned_lead_time_days,
        safety_stock_qty,
        reorder_point,
        lot_size_policy,
        fixed_lot_size,
        min_lot_size,
        last_changed_date,
        source_file,
        loaded_at
    from deduplicated

)

select * from final
