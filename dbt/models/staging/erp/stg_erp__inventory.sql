with

source as {{ not_materialized() }} (

    select * from {{ source('raw', 'erp_inventory') }}

),

renamed as (

    select
        cast(snapshot_date as date) as snapshot_date,
        part_number,
        nullif(trim(plant), '') as plant,
        cast(on_hand_qty as double) as on_hand_qty,
        {{ landing_provenance_columns() }}
    from source

),

deduplicated as (

    {{ latest_extract('renamed', ['snapshot_date', 'part_number', 'plant']) }}

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

)

select * from final
