{#
    One row per canonical part. Attributes come from the ERP item record chosen as canonical
    (the ACTIVE one, else the most recently updated); parts known only from transactions or
    only from MRP have null attributes. The n_distinct_ columns count disagreeing values across
    the ERP item records merged into the part.
#}

with

part_aliases as {{ not_materialized() }} (

    select * from {{ ref('int_part_aliases') }}

),

items as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__items') }}

),

parts as (

    select
        canonical_part_id,
        canonical_part_number,
        canonical_part_key,
        count(*) as n_source_records,
        count(case when source_system = 'erp' then 1 end) as n_erp_part_numbers,
        count(case when source_system = 'mrp' then 1 end) as n_mrp_part_numbers,
        max(case when is_crosswalked then 1 else 0 end) = 1 as has_crosswalk
    from part_aliases
    group by
        canonical_part_id,
        canonical_part_number,
        canonical_part_key

),

item_records as (

    select
        part_aliases.canonical_part_id,
        items.part_number,
        items.description,
        items.uom,
        items.procurement_type,
        items.item_status,
        items.manufacturer_part_number,
        items.updated_at,
        {{ normalize_part_number('items.manufacturer_part_number') }}
            as manufacturer_part_key,
        row_number() over (
            partition by part_aliases.canonical_part_id
            order by
                case when items.item_status = 'ACTIVE' then 0 else 1 end asc,
                items.updated_at desc nulls last,
                items.loaded_at desc,
                items.part_number asc
        ) as record_rank
    from items
    inner join part_aliases
        on {{ part_alias_match('items', 'erp') }}

),

item_summary as (

    select
        canonical_part_id,
        count(*) as n_erp_item_records,
        count(case when item_status = 'ACTIVE' then 1 end) as n_active_item_records,
        count(distinct lower(description)) as n_distinct_descriptions,
        count(distinct uom) as n_distinct_uoms,
        count(distinct procurement_type) as n_distinct_procurement_types,
        count(distinct manufacturer_part_key) as n_distinct_manufacturer_part_numbers,
        {{ dbt.listagg('part_number', "' | '", 'order by part_number') }}
            as erp_item_part_numbers
    from item_records
    group by canonical_part_id

),

final as (

    select
        parts.canonical_part_id,
        parts.canonical_part_number,
        canonical_items.description,
        canonical_items.procurement_type,
        canonical_items.item_status as status,
        parts.n_source_records,
        canonical_items.uom,
        canonical_items.manufacturer_part_number,
        canonical_items.updated_at as item_updated_at,
        parts.canonical_part_key,
        parts.n_erp_part_numbers,
        parts.n_mrp_part_numbers,
        coalesce(item_summary.n_erp_item_records, 0) as n_erp_item_records,
        coalesce(item_summary.n_active_item_records, 0) as n_active_item_records,
        item_summary.erp_item_part_numbers,
        canonical_items.canonical_part_id is not null as has_erp_item,
        parts.n_erp_part_numbers = 0 as is_mrp_only,
        parts.has_crosswalk,
        coalesce(item_summary.n_distinct_descriptions, 0) as n_distinct_descriptions,
        coalesce(item_summary.n_distinct_uoms, 0) as n_distinct_uoms,
        coalesce(item_summary.n_distinct_procurement_types, 0)
            as n_distinct_procurement_types,
        coalesce(item_summary.n_distinct_manufacturer_part_numbers, 0)
            as n_distinct_manufacturer_part_numbers,
        coalesce(
            item_summary.n_distinct_descriptions > 1
            or item_summary.n_distinct_uoms > 1
            or item_summary.n_distinct_procurement_types > 1
            or item_summary.n_distinct_manufacturer_part_numbers > 1,
            false
        ) as has_conflicting_attributes
    from parts
    left join item_records as canonical_items
        on
            parts.canonical_part_id = canonical_items.canonical_part_id
            and canonical_items.record_rank = 1
    left join item_summary
        on parts.canonical_part_id = item_summary.canonical_part_id

)

select * from final
