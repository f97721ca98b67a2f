{#
    One row per calendar day from the earliest to the latest order or goods movement date in
    the data, with a running count of working days, for lead times in working days.

    - A working day is Monday to Friday and not in the seed holidays (plant- and
      country-agnostic closing days, empty by default).
    - working_day_number: working days from the first calendar day up to and including this
      one, so the working days in (a, b] (after the order date, up to and including the
      completion date, like calendar days b - a) are working_day_number(b) -
      working_day_number(a).
    - The weekday comes from the day count since Monday 1900-01-01 (portable, no dialect
      day-of-week function). The spine has at most 100,000 days (273 years).
#}

with

purchase_order_lines as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__purchase_order_lines') }}

),

goods_receipts as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__goods_receipts') }}

),

holidays as {{ not_materialized() }} (

    select * from {{ ref('holidays') }}

),

data_dates as (

    select
        min(order_date) as first_date,
        max(order_date) as last_date
    from purchase_order_lines

    union all

    select
        min(receipt_date) as first_date,
        max(receipt_date) as last_date
    from goods_receipts

),

date_range as (

    select
        min(first_date) as first_date,
        max(last_date) as last_date
    from data_dates

),

digits as (

    select 0 as digit
    union all
    select 1 as digit
    union all
    select 2 as digit
    union all
    select 3 as digit
    union all
    select 4 as digit
    union all
    select 5 as digit
    union all
    select 6 as digit
    union all
    select 7 as digit
    union all
    select 8 as digit
    union all
    select 9 as digit

),

day_offsets as (

    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands

),

calendar_days as (

    select
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'date_range.first_date') }} as date)
            as calendar_date
    from day_offsets
    cross join date_range
    where
        day_offsets.day_offset
        <= {{ dbt.datediff('date_range.first_date', 'date_range.last_date', 'day') }}

),

holiday_dates as (

    select distinct cast(holiday_date as date) as holiday_date
    from holidays
    where holiday_date is not null

),

flagged as (

    select
        calendar_days.calendar_date,
        mod(
            {{ dbt.datediff("cast('1900-01-01' as date)", 'calendar_days.calendar_date', 'day') }},
            7
        ) + 1 as iso_day_of_week,
        holiday_dates.holiday_date is not null as is_holiday
    from calendar_days
    left join holiday_dates
        on calendar_days.calendar_date = holiday_dates.holiday_date

),

final as (

    select
        calendar_date,
        iso_day_of_week,
        iso_day_of_week >= 6 as is_weekend,
        is_holiday,
        iso_day_of_week <= 5 and not is_holiday as is_working_day,
        cast(
            sum(case when iso_day_of_week <= 5 and not is_holiday then 1 else 0 end) over (
                order by calendar_date asc
                rows between unbounded preceding and current row
            ) as {{ dbt.type_int() }}
        ) as working_day_number
    from flagged

)

select * from final
