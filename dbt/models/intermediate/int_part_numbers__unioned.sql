{#
    Every part number of every source table, ERP and MRP, with the system it belongs to and the
    tables it appears in: the input of part reconciliation.
#}

with

items as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__items') }}

),

purchasing_info as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__purchasing_info') }}

),

purchase_order_lines as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__purchase_order_lines') }}

),

goods_receipts as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__goods_receipts') }}

),

inventory as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__inventory') }}

),

mrp_parameters as {{ not_materialized() }} (

    select * from {{ ref('stg_mrp__parameters') }}

),

mrp_availability as {{ not_materialized() }} (

    select * from {{ ref('stg_mrp__availability') }}

),

mrp_demand_history as {{ not_materialized() }} (

    select * from {{ ref('stg_mrp__demand_history') }}

),

source_part_numbers as (

    select
        'erp' as source_system,
        'erp_items' as source_table,
        part_number as source_part_number
    from items

    union all

    select
        'erp' as source_system,
        'erp_purchasing_info' as source_table,
        part_number as source_part_number
    from purchasing_info

    union all

    select
        'erp' as source_system,
        'erp_purchase_order_lines' as source_table,
        part_number as source_part_number
    from purchase_order_lines

    union all

    select
        'erp' as source_system,
        'erp_goods_receipts' as source_table,
        part_number as source_part_number
    from goods_receipts

    union all

    select
        'erp' as source_system,
        'erp_inventory' as source_table,
        part_number as source_part_number
    from inventory

    union all

    select
        'mrp' as source_system,
        'mrp_parameters' as source_table,
        part_number as source_part_number
    from mrp_parameters

    union all

    select
        'mrp' as source_system,
        'mrp_availability' as source_table,
        part_number as source_part_number
    from mrp_availability

    union all

    select
        'mrp' as source_system,
        'mrp_demand_history' as source_table,
        part_number as source_part_number
    from mrp_demand_history

),

per_table as (

    select
        source_system,
        source_table,
        source_part_number,
        count(*) as n_rows
    from source_part_numbers
    where source_part_number is not null
    group by
        source_system,
        source_table,
        source_part_number

),

final as (

    select
        source_system,
        source_part_number,
        {{ dbt.listagg('source_table', "', '", 'order by source_table') }} as source_tables,
        count(case when source_table = 'erp_items' then 1 end) = 1 as is_erp_item,
        cast(sum(n_rows) as bigint) as n_source_rows
    from per_table
    group by
        source_system,
        source_part_number

)

select * from final
