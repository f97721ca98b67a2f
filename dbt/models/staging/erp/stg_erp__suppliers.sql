with

source as (

    select * from {{ source('raw', 'erp_suppliers') }}

),

renamed as (

    select
        nullif(trim(supplier_id), '') as supplier_id,
        nullif(trim(supplier_name), '') as supplier_name,
        upper(nullif(trim(country), '')) as country_code,
        upper(trim(status)) as supplier_status,
        _source_file as source_file,
        cast(_loaded_at as timestamp) as loaded_at,
        _row_hash as row_hash
    from source

),

deduplicated as (

    select
        *,
        {{ latest_extract_rank(['supplier_id']) }} as extract_rank
    from renamed

),

final as (

    select
        supplier_id,
        supplier_name,
        country_code,
        supplier_status,
        source_file,
        loaded_at
    from deduplicated
    where extract_rank = 1

)

select * from final
