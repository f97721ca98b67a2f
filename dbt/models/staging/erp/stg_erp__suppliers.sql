with

source as {{ not_materialized() }} (

    select * from {{ source('raw', 'erp_suppliers') }}

),

renamed as (

    select
        nullif(trim(supplier_id), '') as supplier_id,
        nullif(trim(supplier_name), '') as supplier_name,
        upper(nullif(trim(country), '')) as country_code,
        upper(trim(status)) as supplier_status,
        {{ landing_provenance_columns() }}
    from source

),

deduplicated as (

    {{ latest_extract('renamed', ['supplier_id']) }}

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

)

select * from final
