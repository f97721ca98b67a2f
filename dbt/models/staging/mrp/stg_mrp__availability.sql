with

source as (

    select * from {{ source('raw', 'mrp_availability') }}

),

renamed as (

    select
        cast(as_of_date as date) as as_of_date,
        part_number,
        nullif(trim(plant), '') as plant,
        cast(required_qty as double) as required_qty,
        cast(available_qty as double) as available_qty,
        upper(trim(status)) as mrp_status,
        _source_file as source_file,
        cast(_loaded_at as timestamp) as loaded_at,
        _row_hash as row_hash
    from source

),

deduplicated as (

    select
        *,
        {{ latest_extract_rank(['as_of_date', 'part_number', 'plant']) }} as extract_rank
    from renamed

),

final as (

    select
        as_of_date,
        part_number,
        plant,
        required_qty,
        available_qty,
        mrp_status,
        source_file,
        loaded_at
    from deduplicated
    where extract_rank = 1

)

select * from final
