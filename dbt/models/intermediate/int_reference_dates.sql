{#
    The dates every "as of" decision uses, one row; derived from the data, never from
    current_date, so a rebuild of the same extracts gives the same marts.

    - lead_time_window_end_date: the newest effective (not reversed, not future-dated) receipt
      date in the whole data set: a receipt dated after the day of the run never moves it; lead_time_window_start_date = end - (lead_time_window_days - 1): a window of
      exactly lead_time_window_days days, both ends included.
    - reference_date: var reference_date if set, else the newest business date in the data
      (receipt dates, PO order dates, inventory snapshots, MRP as-of dates, demand weeks).
#}

with

netted_receipts as {{ not_materialized() }} (

    select * from {{ ref('int_goods_receipts__netted') }}

),

purchase_order_lines as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__purchase_order_lines') }}

),

inventory as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__inventory') }}

),

mrp_availability as {{ not_materialized() }} (

    select * from {{ ref('stg_mrp__availability') }}

),

mrp_demand_history as {{ not_materialized() }} (

    select * from {{ ref('stg_mrp__demand_history') }}

),

window_end as (

    select max(receipt_date) as lead_time_window_end_date
    from netted_receipts
    where is_effective_receipt

),

business_dates as (

    select max(receipt_date) as business_date from netted_receipts
    where not is_future_dated
    union all
    select max(order_date) as business_date from purchase_order_lines
    union all
    select max(snapshot_date) as business_date from inventory
    union all
    select max(as_of_date) as business_date from mrp_availability
    union all
    select max(week_start) as business_date from mrp_demand_history

),

newest_business_date as (

    select max(business_date) as newest_business_date
    from business_dates

),

final as (

    select
        {% if var('reference_date') -%}
            cast('{{ var("reference_date") }}' as date)
        {%- else -%}
            newest_business_date.newest_business_date
        {%- endif %} as reference_date,
        newest_business_date.newest_business_date,
        cast(
            {{ dbt.dateadd(
                'day',
                '-(' ~ var('lead_time_window_days') ~ ' - 1)',
                'window_end.lead_time_window_end_date'
            ) }} as date
        ) as lead_time_window_start_date,
        window_end.lead_time_window_end_date,
        cast({{ var('lead_time_window_days') }} as integer) as lead_time_window_days
    from window_end
    cross join newest_business_date

)

select * from final
