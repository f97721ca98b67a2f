with

source as {{ not_materialized() }} (

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
        {{ landing_provenance_columns() }}
    from source

),

deduplicated as (

    {{ latest_extract('renamed', ['as_of_date', 'part_number', 'plant']) }}

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

)

select * from final
