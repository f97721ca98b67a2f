{#
    What each finding of this run costs, in the purchasing currency: impact_value and
    impact_basis (the formula with its numbers), from the numbers the finding shows as
    evidence and data already in the landing contract. One row per finding.

    quantity x unit price, where the quantity is
    - lead_time_drift: |drift_days| x the part's daily demand (mean over its demand weeks,
      summed over plants): stock carried, or missing, for the days the plan is wrong;
    - safety_stock_deviation, stale_safety_stock: |recommended - current safety stock| (stale:
      only with a recommendation, and 0 where the same part and plant has a deviation
      finding: the same money, counted once);
    - false_availability: the shortage behind the false flag, required - on hand (>= 0);
    - duplicate_part_records: the part's stock on hand (latest snapshot, all plants), held
      under more than one item record;
    - possible_duplicate_part: the related part's stock on hand, held twice if the pair is one
      part;
    - order_policy_conflict (mrp_lot_size): |proposed - current MRP lot size|, the excess or
      shortfall of every order.
    The unit price is the purchasing info record of the finding's supplier, else of the part's
    preferred supplier (int_purchasing_info__canonical); its currency is impact_currency.
    Kinds without a monetary measure (conflicting_attributes, unmatched_mrp_part,
    quarantined_rows, order_policy_conflict po_quantity) and findings without a price or a
    quantity have impact_value 0, and impact_basis says why.
#}

with

findings as {{ not_materialized() }} (

    select * from {{ ref('int_master_data_findings') }}

),

purchasing_info as {{ not_materialized() }} (

    select * from {{ ref('int_purchasing_info__canonical') }}

),

safety_stock_review as {{ not_materialized() }} (

    select * from {{ ref('mart_safety_stock_review') }}

),

inventory as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__inventory') }}

),

part_aliases as {{ not_materialized() }} (

    select * from {{ ref('int_part_aliases') }}

),

part_prices as (

    select
        canonical_part_id,
        unit_price,
        currency
    from purchasing_info
    where is_selected_preferred_supplier

),

daily_demand as (

    select
        canonical_part_id,
        sum(mean_daily_demand) as daily_demand
    from safety_stock_review
    group by canonical_part_id

),

latest_inventory as (

    select
        part_aliases.canonical_part_id,
        inventory.plant,
        inventory.on_hand_qty,
        row_number() over (
            partition by part_aliases.canonical_part_id, inventory.plant
            order by inventory.snapshot_date desc, inventory.part_number asc
        ) as snapshot_rank
    from inventory
    inner join part_aliases
        on {{ part_alias_match('inventory', 'erp') }}

),

stock_on_hand as (

    select
        canonical_part_id,
        sum(case when on_hand_qty > 0 then on_hand_qty else 0 end) as on_hand_qty
    from latest_inventory
    where snapshot_rank = 1
    group by canonical_part_id

),

finding_numbers as (

    select
        findings.*,
        {{ json_number('findings.evidence', 'drift_days') }} as drift_days,
        {{ json_number('findings.evidence', 'recommended_safety_stock') }}
            as recommended_safety_stock,
        {{ json_number('findings.evidence', 'current_safety_stock') }} as current_safety_stock,
        {{ json_number('findings.evidence', 'required_qty') }} as required_qty,
        {{ json_number('findings.evidence', 'on_hand_qty') }} as evidence_on_hand_qty,
        {{ json_number('findings.evidence', 'proposed_mrp_lot_size') }} as proposed_mrp_lot_size,
        {{ json_number('findings.evidence', 'mrp_minimum_lot_size') }} as mrp_minimum_lot_size
    from findings

),

-- a stale safety stock whose part and plant also have a deviation finding costs the same
-- money: counted once, on the deviation
deviating_safety_stocks as (

    select distinct
        canonical_part_id,
        plant
    from findings
    where finding_type = 'safety_stock_deviation'

),

quantities as (

    select
        finding_numbers.finding_id,
        finding_numbers.finding_type,
        coalesce(supplier_prices.unit_price, part_prices.unit_price) as unit_price,
        coalesce(supplier_prices.currency, part_prices.currency) as currency,
        case
            when finding_numbers.finding_type = 'lead_time_drift'
                then
                    abs(finding_numbers.drift_days)
                    * daily_demand.daily_demand
            when
                finding_numbers.finding_type = 'stale_safety_stock'
                and deviating_safety_stocks.plant is not null
                then null
            when finding_numbers.finding_type in ('safety_stock_deviation', 'stale_safety_stock')
                then abs(
                        finding_numbers.recommended_safety_stock
                        - finding_numbers.current_safety_stock
                    )
            when finding_numbers.finding_type = 'false_availability'
                then greatest(
                        finding_numbers.required_qty
                        - coalesce(finding_numbers.evidence_on_hand_qty, 0),
                        0
                    )
            when finding_numbers.finding_type = 'duplicate_part_records'
                then own_stock.on_hand_qty
            when finding_numbers.finding_type = 'possible_duplicate_part'
                then related_stock.on_hand_qty
            when finding_numbers.check_name = 'mrp_lot_size'
                then abs(
                        finding_numbers.proposed_mrp_lot_size
                        - finding_numbers.mrp_minimum_lot_size
                    )
        end as impact_quantity,
        case
            when finding_numbers.finding_type = 'lead_time_drift'
                then
                    'drift '
                    || {{ number_text('abs(finding_numbers.drift_days)') }}
                    || ' d x daily demand '
                    || coalesce({{ number_text('daily_demand.daily_demand') }}, 'unknown')
            when
                finding_numbers.finding_type = 'stale_safety_stock'
                and deviating_safety_stocks.plant is not null
                then
                    'counted once, on the safety_stock_deviation finding of the same part and '
                    || 'plant'
            when finding_numbers.finding_type in ('safety_stock_deviation', 'stale_safety_stock')
                then
                    'safety stock gap |'
                    || coalesce(
                        {{ number_text('finding_numbers.recommended_safety_stock') }},
                        'no recommendation'
                    )
                    || ' - '
                    || coalesce(
                        {{ number_text('finding_numbers.current_safety_stock') }},
                        '?'
                    )
                    || '|'
            when finding_numbers.finding_type = 'false_availability'
                then
                    'shortage ' || coalesce(
                        {{ number_text('finding_numbers.required_qty') }}, '?'
                    )
                    || ' required - '
                    || coalesce(
                        {{ number_text('finding_numbers.evidence_on_hand_qty') }}, '0'
                    )
                    || ' on hand'
            when finding_numbers.finding_type = 'duplicate_part_records'
                then
                    'stock on hand held under several item records '
                    || coalesce({{ number_text('own_stock.on_hand_qty') }}, 'unknown')
            when finding_numbers.finding_type = 'possible_duplicate_part'
                then
                    'stock on hand of the related part, held twice if one part '
                    || coalesce({{ number_text('related_stock.on_hand_qty') }}, 'unknown')
            when finding_numbers.check_name = 'mrp_lot_size'
                then
                    'lot size excess or shortfall per order |'
                    || coalesce(
                        {{ number_text('finding_numbers.proposed_mrp_lot_size') }},
                        '?'
                    )
                    || ' - '
                    || coalesce(
                        {{ number_text('finding_numbers.mrp_minimum_lot_size') }},
                        '?'
                    )
                    || '|'
        end as quantity_basis
    from finding_numbers
    left join purchasing_info as supplier_prices
        on {{ keys_match('finding_numbers', 'supplier_prices', part_supplier_key()) }}
    left join part_prices
        on finding_numbers.canonical_part_id = part_prices.canonical_part_id
    left join daily_demand
        on finding_numbers.canonical_part_id = daily_demand.canonical_part_id
    left join stock_on_hand as own_stock
        on finding_numbers.canonical_part_id = own_stock.canonical_part_id
    left join deviating_safety_stocks
        on {{ keys_match('finding_numbers', 'deviating_safety_stocks', part_plant_key()) }}
    left join stock_on_hand as related_stock
        on finding_numbers.related_canonical_part_id = related_stock.canonical_part_id

),

final as (

    select
        finding_id,
        -- money: to the cent
        coalesce({{ round_double('impact_quantity * unit_price', 2) }}, 0) as impact_value,
        case when impact_quantity * unit_price is not null then currency end
            as impact_currency,
        case
            when quantity_basis is null
                then 'no monetary measure for ' || finding_type
            when quantity_basis like 'counted once%'
                then quantity_basis || ': 0'
            when impact_quantity is null
                then quantity_basis || ': quantity unknown, 0'
            when unit_price is null
                then quantity_basis || ' x no unit price (no purchasing info record), 0'
            else
                quantity_basis || ' x ' || {{ number_text('unit_price') }}
                || ' ' || coalesce(currency, '') || ' = '
                || {{ number_text('impact_quantity * unit_price') }}
                || ' ' || coalesce(currency, '')
        end as impact_basis
    from quantities

)

select * from final
