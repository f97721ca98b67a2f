with

source as (

    select * from {{ source('raw', 'erp_inventory') }}

),

renamed as (

    select
        cast(snapshot_date as date) as snapshot_date,
        part_number,
        nullif(trim(plant), '') as plant,
        cast(on_hand_qty as double) as on_hand_qty,
        _source_file as source_file,
        cast(_loaded_at as timestamp) as loaded_at,
        _row_hash as row_hash
    from source

),

deduplicated as (

    select
        *,
        {{ latest_extract_rank(['snapshot_date', 'part_number', 'plant']) }} as extract_rank
    from renamed

),

final as (

    select
        snapshot_date,
        part_number,
        plant,
        on_hand_qty,
        source_file,
        loaded_at
    from deduplicated
    where extract_rank = 1

)

select * from final
