with

source as {{ not_materialized() }} (

    select * from {{ source('raw', 'erp_items') }}

),

renamed as (

    select
        part_number,
        nullif(trim(description), '') as description,
        upper(nullif(trim(uom), '')) as uom,
        upper(trim(procurement_type)) as procurement_type,
        upper(trim(status)) as item_status,
        nullif(trim(manufacturer_part_number), '') as manufacturer_part_number,
        cast(updated_at as timestamp) as updated_at,
        {{ landing_provenance_columns() }}
    from source

),

deduplicated as (

    {{ latest_extract('renamed', ['part_number']) }}

),

final as (

    select
        part_number,
        description,
        uom,
        procurement_type,
        item_status,
        manufacturer_part_number,
        updated_at,
        source_file,
        loaded_at
    from deduplicated

)

select * from final
