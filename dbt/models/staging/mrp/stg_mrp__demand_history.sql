with

source as (

    select * from {{ source('raw', 'mrp_demand_history') }}

),

renamed as (

    select
        part_number,
        nullif(trim(plant), '') as plant,
        cast(week_start as date) as week_start,
        cast(demand_qty as double) as demand_qty,
        _source_file as source_file,
        cast(_loaded_at as timestamp) as loaded_at,
        _row_hash as row_hash
    from source

),

deduplicated as (

    select
        *,
        {{ latest_extract_rank(['part_number', 'plant', 'week_start']) }} as extract_rank
    from renamed

),

final as (

    select
        part_number,
        plant,
        week_start,
        demand_qty,
        source_file,
        loaded_at
    from deduplicated
    where extract_rank = 1

)

select * from final
