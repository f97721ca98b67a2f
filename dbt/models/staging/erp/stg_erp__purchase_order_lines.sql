{#
    Incremental (macros/incremental.sql): a build reads only the raw rows loaded after the
    newest extract it holds; the latest extract wins, so their keys replace the kept rows.
#}

{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['po_number', 'po_line'],
    pre_hook="{{ incremental_reset() }}",
) }}

with

source as {{ not_materialized() }} (

    select * from {{ source('raw', 'erp_purchase_order_lines') }}
    {% if is_incremental() %}
        where _loaded_at > {{ incremental_watermark('loaded_at') }}
    {% endif %}

),

renamed as (

    select
        nullif(trim(po_number), '') as po_number,
        cast(po_line as integer) as po_line,
        nullif(trim(supplier_id), '') as supplier_id,
        part_number,
        cast(order_date as date) as order_date,
        cast(requested_date as date) as requested_date,
        cast(promised_date as date) as promised_date,
        cast(order_qty as double) as order_qty,
        upper(nullif(trim(uom), '')) as uom,
        upper(trim(line_status)) as line_status,
        cast(updated_at as timestamp) as updated_at,
        {{ landing_provenance_columns() }}
    from source

),

deduplicated as (

    {{ latest_extract('renamed', ['po_number', 'po_line']) }}

),

final as (

    select
        po_number,
        po_line,
        supplier_id,
        part_number,
        order_date,
        requested_date,
        promised_date,
        coalesce(promised_date, requested_date) as due_date,
        order_qty,
        uom,
        line_status,
        updated_at,
        source_file,
        loaded_at,
        {{ incremental_built_at() }} as built_at
    from deduplicated

)

select * from final
