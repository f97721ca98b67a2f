with

source as {{ not_materialized() }} (

    select * from {{ source('raw', 'mrp_demand_history') }}

),

renamed as (

    select
        part_number,
        nullif(trim(plant), '') as plant,
        cast(week_start as date) as week_start,
        cast(demand_qty as double) as demand_qty,
        {{ landing_provenance_columns() }}
    from source

),

deduplicated as (

    {{ latest_extract('renamed', ['part_number', 'plant', 'week_start']) }}

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

)

select * from final
