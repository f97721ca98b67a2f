-- The floor of `make bench`: the core lead-time computation alone, as plain SQL in bare
-- DuckDB straight on the landing files. No ingestion, no contracts, no part reconciliation
-- beyond normalisation, no Dagster or dbt: what DuckDB itself needs for the same answer.
-- {landing} is replaced by the landing folder. Semantics as DESIGN.md and dbt/README.md,
-- leaner in one respect (issue 21): rows re-sent by a later extract are not deduplicated (the
-- pipeline keeps the latest per key); a window over every extract row would hide the gap
-- between the pipeline and what the lead-time SQL itself costs.
create or replace table po_lines as
select *
from read_csv(
    '{landing}/erp_purchase_order_lines/*.csv', header = true,
    types = {'order_date': 'DATE', 'requested_date': 'DATE', 'promised_date': 'DATE',
             'order_qty': 'DOUBLE', 'po_line': 'INTEGER'}
);

create or replace table receipts as
select *
from read_csv(
    '{landing}/erp_goods_receipts/*.csv', header = true,
    types = {'receipt_date': 'DATE', 'quantity': 'DOUBLE', 'po_line': 'INTEGER',
             'reverses_receipt_id': 'VARCHAR'}
);

create or replace table net_movements as
select
    r.po_number,
    r.po_line,
    r.receipt_date,
    r.movement_type,
    case r.movement_type when 'RETURN' then -r.quantity else r.quantity end as net_quantity
from receipts as r
where r.movement_type in ('RECEIPT', 'RETURN')
    and not exists (
        select 1 from receipts as v
        where v.movement_type = 'REVERSAL' and v.reverses_receipt_id = r.receipt_id
    );

create or replace table line_dates as
with daily as (
    select po_number, po_line, receipt_date, sum(net_quantity) as net_quantity
    from net_movements group by all
),
cumulative as (
    select
        *,
        sum(net_quantity) over (
            partition by po_number, po_line order by receipt_date
        ) as cum_qty
    from daily
),
suffix_min as (
    select
        *,
        min(cum_qty) over (
            partition by po_number, po_line order by receipt_date desc
        ) as min_cum_from_here
    from cumulative
)
select
    l.po_number,
    l.po_line,
    l.supplier_id,
    upper(regexp_replace(trim(l.part_number), '[\s\-_./]+', '', 'g')) as part_key,
    l.order_date,
    l.line_status,
    coalesce(l.promised_date, l.requested_date) as due_date,
    min(m.receipt_date) filter (where m.movement_type = 'RECEIPT') as first_receipt_date,
    min(s.receipt_date) filter (where s.min_cum_from_here >= l.order_qty - 1e-6)
        as completion_date,
    max(m.receipt_date) filter (where m.movement_type = 'RECEIPT') as last_receipt_date,
    min(m.receipt_date) as first_movement_date
from po_lines as l
left join net_movements as m using (po_number, po_line)
left join suffix_min as s
    on s.po_number = l.po_number and s.po_line = l.po_line
    and s.receipt_date = m.receipt_date
group by all;

create or replace table lead_times as
select
    *,
    coalesce(
        completion_date,
        case when line_status = 'CLOSED' then last_receipt_date end
    ) - order_date as lead_time_days
from line_dates
where line_status <> 'CANCELLED' and not coalesce(first_movement_date < order_date, false)
    and (completion_date is not null or line_status = 'CLOSED')
    and last_receipt_date is not null;

create or replace table supplier_lead_times as
with window_end as (select max(receipt_date) as end_date from net_movements)
select
    part_key,
    supplier_id,
    count(*) as n_lines,
    avg(lead_time_days) as mean_lead_time_days,
    quantile_cont(lead_time_days, 0.5) as median_lead_time_days,
    quantile_cont(lead_time_days, 0.9) as p90_lead_time_days,
    stddev_samp(lead_time_days) as stddev_lead_time_days,
    min(lead_time_days) as min_lead_time_days,
    max(lead_time_days) as max_lead_time_days,
    avg(case when coalesce(completion_date, last_receipt_date) <= due_date then 1 else 0 end)
        as on_time_rate,
    ceil(quantile_cont(lead_time_days, 0.8)) as recommended_lead_time_days
from lead_times, window_end
where coalesce(completion_date, last_receipt_date) > window_end.end_date - 730
group by all;
