{#
    Incremental (macros/incremental.sql): a build reads only the raw rows loaded after the
    newest extract it holds; the latest extract wins, so their keys replace the kept rows.
#}

{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key='receipt_id',
    pre_hook="{{ incremental_reset() }}",
) }}

with

source as {{ not_materialized() }} (

    select * from {{ source('raw', 'erp_goods_receipts') }}
    {% if is_incremental() %}
        where _loaded_at > {{ incremental_watermark('loaded_at') }}
    {% endif %}

),

renamed as (

    select
        nullif(trim(receipt_id), '') as receipt_id,
        nullif(trim(po_number), '') as po_number,
        cast(po_line as integer) as po_line,
        part_number,
        cast(receipt_date as date) as receipt_date,
        cast(quantity as double) as quantity,
        upper(nullif(trim(uom), '')) as uom,
        upper(trim(movement_type)) as movement_type,
        nullif(trim(reverses_receipt_id), '') as reverses_receipt_id,
        {{ landing_provenance_columns() }}
    from source

),

deduplicated as (

    {{ latest_extract('renamed', ['receipt_id']) }}

),

final as (

    select
        receipt_id,
        po_number,
        po_line,
        part_number,
        receipt_date,
        quantity,
        uom,
        movement_type,
        reverses_receipt_id,
        source_file,
        loaded_at,
        {{ incremental_built_at() }} as built_at
    from deduplicated

)

select * from final
