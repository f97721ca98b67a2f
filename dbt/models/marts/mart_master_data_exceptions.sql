{#
    The governance worklist: one row per finding, with its type, severity, the evidence (JSON
    text) and the proposed master-data change (text), unioned from the marts.

    finding_type (severity; where the change goes):
    - duplicate_part_records (medium; erp_item_master): one canonical part, several ERP items.
    - conflicting_attributes (medium; erp_item_master / erp_purchasing_info / mrp_parameters):
      records merged into one canonical part disagree (description, uom, procurement type,
      manufacturer part number; planned lead time or order policy; MRP parameters).
    - possible_duplicate_part (low; part_crosswalk): a part_match_review pair.
    - unmatched_mrp_part (medium; part_crosswalk): a part the MRP knows and the ERP does not,
      one finding per part (naming every MRP spelling of it).
    - lead_time_drift (high when |drift| > 2 x lead_time_drift_tolerance_days and > 2 x
      lead_time_drift_tolerance_ratio x planned, else medium; erp_purchasing_info for
      each drifting supplier, mrp_parameters for the part's preferred supplier).
    - stale_safety_stock (low; mrp_parameters).
    - safety_stock_deviation (high when current is below recommended, else medium;
      mrp_parameters).
    - false_availability (high; mrp_parameters): per part and plant, evidence from the latest
      falsely available check.
    - order_policy_conflict (medium for MRP lot size vs ERP policy, per part, supplier and plant;
      low for PO quantities breaking the ERP policy, per part and supplier).
    - quarantined_rows (erp_transactions; medium when the rows are left out of lead times or
      netting, low when kept as reported): the rows of marts.quarantined_rows, one finding per
      reason, source table and part (check source_table:reason), with the number of rows and
      up to five example keys. Rows without a canonical part stay in quarantined_rows only.
    finding_id: md5 of type, check, part, supplier, plant and related part: stable across runs
    while the finding persists.
#}

with

parts as (

    select * from {{ ref('dim_parts') }}

),

part_aliases as (

    select * from {{ ref('part_aliases') }}

),

part_match_review as (

    select * from {{ ref('part_match_review') }}

),

purchasing_info as (

    select * from {{ ref('int_purchasing_info__canonical') }}

),

mrp_parameters as (

    select * from {{ ref('int_mrp_parameters__canonical') }}

),

supplier_lead_times as (

    select * from {{ ref('mart_supplier_lead_times') }}

),

safety_stock_review as (

    select * from {{ ref('mart_safety_stock_review') }}

),

availability_check as (

    select * from {{ ref('mart_availability_check') }}

),

order_policy_review as (

    select * from {{ ref('mart_order_policy_review') }}

),

reference_dates as (

    select * from {{ ref('int_reference_dates') }}

),

quarantined_rows as (

    select * from {{ ref('quarantined_rows') }}

),

duplicate_part_records as (

    select
        'duplicate_part_records' as finding_type,
        'erp_items' as check_name,
        'medium' as severity,
        canonical_part_id,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        cast(null as {{ dbt.type_string() }}) as plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'erp_item_master' as change_target,
        'dim_parts' as source_model,
        {{ json_object([
            ['canonical_part_number', 'string', 'canonical_part_number'],
            ['n_erp_item_records', 'number', 'n_erp_item_records'],
            ['erp_item_part_numbers', 'string', 'erp_item_part_numbers'],
            ['n_active_item_records', 'number', 'n_active_item_records'],
        ]) }} as evidence,
        'Keep one ERP item for ' || canonical_part_number || ' and block the other '
        || cast(n_erp_item_records - 1 as {{ dbt.type_string() }})
        || ' record(s) of ' || erp_item_part_numbers
        || ', moving their purchasing info and open orders to ' || canonical_part_number
        || '.' as proposed_change
    from parts
    where n_erp_item_records > 1

),

conflicting_item_attributes as (

    select
        'conflicting_attributes' as finding_type,
        'erp_items' as check_name,
        'medium' as severity,
        canonical_part_id,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        cast(null as {{ dbt.type_string() }}) as plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'erp_item_master' as change_target,
        'dim_parts' as source_model,
        {{ json_object([
            ['canonical_part_number', 'string', 'canonical_part_number'],
            ['erp_item_part_numbers', 'string', 'erp_item_part_numbers'],
            ['n_distinct_descriptions', 'number', 'n_distinct_descriptions'],
            ['n_distinct_uoms', 'number', 'n_distinct_uoms'],
            ['n_distinct_procurement_types', 'number', 'n_distinct_procurement_types'],
            ['n_distinct_manufacturer_part_numbers', 'number',
                'n_distinct_manufacturer_part_numbers'],
            ['canonical_description', 'string', 'description'],
            ['canonical_uom', 'string', 'uom'],
        ]) }} as evidence,
        'Align description, unit of measure, procurement type and manufacturer part number of '
        || erp_item_part_numbers || ' with the canonical record ' || canonical_part_number
        || '.' as proposed_change
    from parts
    where has_conflicting_attributes

),

conflicting_purchasing_info as (

    select
        'conflicting_attributes' as finding_type,
        'erp_purchasing_info' as check_name,
        'medium' as severity,
        canonical_part_id,
        supplier_id,
        cast(null as {{ dbt.type_string() }}) as plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'erp_purchasing_info' as change_target,
        'int_purchasing_info__canonical' as source_model,
        {{ json_object([
            ['canonical_part_number', 'string', 'canonical_part_number'],
            ['n_info_records', 'number', 'n_info_records'],
            ['min_planned_lead_time_days', 'number', 'min_planned_lead_time_days'],
            ['max_planned_lead_time_days', 'number', 'max_planned_lead_time_days'],
            ['has_conflicting_order_policy', 'boolean', 'has_conflicting_order_policy'],
            ['kept_record_part_number', 'string', 'source_part_number'],
        ]) }} as evidence,
        'Keep one purchasing info record for ' || canonical_part_number || ' from supplier '
        || supplier_id || ' (planned lead time '
        || cast(planned_lead_time_days as {{ dbt.type_string() }})
        || ' days) and delete the other '
        || cast(n_info_records - 1 as {{ dbt.type_string() }}) || '.' as proposed_change
    from purchasing_info
    where has_conflicting_planned_lead_time or has_conflicting_order_policy

),

conflicting_mrp_parameters as (

    select
        'conflicting_attributes' as finding_type,
        'mrp_parameters' as check_name,
        'medium' as severity,
        canonical_part_id,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'mrp_parameters' as change_target,
        'int_mrp_parameters__canonical' as source_model,
        {{ json_object([
            ['canonical_part_number', 'string', 'canonical_part_number'],
            ['n_parameter_records', 'number', 'n_parameter_records'],
            ['kept_record_part_number', 'string', 'source_part_number'],
        ]) }} as evidence,
        'Keep one MRP parameter record for ' || canonical_part_number || ' at plant '
        || plant || ' (' || source_part_number || ') and delete the other '
        || cast(n_parameter_records - 1 as {{ dbt.type_string() }}) || '.' as proposed_change
    from mrp_parameters
    where has_conflicting_parameters

),

possible_duplicate_parts as (

    select
        'possible_duplicate_part' as finding_type,
        'part_match_review' as check_name,
        'low' as severity,
        part_id_a as canonical_part_id,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        cast(null as {{ dbt.type_string() }}) as plant,
        part_id_b as related_canonical_part_id,
        'part_crosswalk' as change_target,
        'part_match_review' as source_model,
        {{ json_object([
            ['part_number_a', 'string', 'part_number_a'],
            ['part_number_b', 'string', 'part_number_b'],
            ['score', 'number', 'score'],
            ['number_similarity', 'number', 'number_similarity'],
            ['description_similarity', 'number', 'description_similarity'],
            ['same_manufacturer_part_number', 'boolean', 'same_manufacturer_part_number'],
            ['revision_conflict', 'boolean', 'revision_conflict'],
            ['blocking_keys', 'string', 'blocking_keys'],
        ]) }} as evidence,
        'Review whether ' || part_number_b || ' is the same part as ' || part_number_a
        || '; if so, add part_crosswalk rows mapping the source part numbers of '
        || part_number_b || ' to ' || part_number_a || '.' as proposed_change
    from part_match_review

),

unmatched_mrp_part_numbers as (

    {# One finding per part: the MRP may spell one part several ways (e.g. RETURNS in its
       demand history, returns in its parameters), each an alias of the same part. #}
    select
        canonical_part_id,
        min(source_part_number) as mrp_part_number,
        min(normalized_part_number) as normalized_part_number,
        count(*) as n_mrp_part_numbers,
        {{ dbt.listagg('source_part_number', "', '", 'order by source_part_number') }}
            as mrp_part_numbers,
        {{ dbt.listagg('source_tables', "'; '", 'order by source_part_number') }}
            as source_tables
    from part_aliases
    where match_method = 'mrp_only'
    group by canonical_part_id

),

unmatched_mrp_parts as (

    select
        'unmatched_mrp_part' as finding_type,
        'part_aliases' as check_name,
        'medium' as severity,
        canonical_part_id,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        cast(null as {{ dbt.type_string() }}) as plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'part_crosswalk' as change_target,
        'part_aliases' as source_model,
        {{ json_object([
            ['mrp_part_number', 'string', 'mrp_part_number'],
            ['mrp_part_numbers', 'string', 'mrp_part_numbers'],
            ['normalized_part_number', 'string', 'normalized_part_number'],
            ['source_tables', 'string', 'source_tables'],
        ]) }} as evidence,
        case
            when n_mrp_part_numbers > 1 then 'Map MRP part numbers '
            else 'Map MRP part number '
        end
        || mrp_part_numbers
        || ' to its ERP part number with a part_crosswalk row, or create the ERP item.'
            as proposed_change
    from unmatched_mrp_part_numbers

),

erp_lead_time_drift as (

    select
        'lead_time_drift' as finding_type,
        'erp' as check_name,
        case
            when
                abs(drift_vs_erp_days) > 2 * {{ var('lead_time_drift_tolerance_days') }}
                and abs(drift_vs_erp_days)
                > 2 * {{ var('lead_time_drift_tolerance_ratio') }} * erp_planned_lead_time_days
                then 'high'
            else 'medium'
        end as severity,
        canonical_part_id,
        supplier_id,
        cast(null as {{ dbt.type_string() }}) as plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'erp_purchasing_info' as change_target,
        'mart_supplier_lead_times' as source_model,
        {{ json_object([
            ['canonical_part_number', 'string', 'canonical_part_number'],
            ['n_lines', 'number', 'n_lines'],
            ['median_lead_time_days', 'number', 'median_lead_time_days'],
            ['erp_planned_lead_time_days', 'number', 'erp_planned_lead_time_days'],
            ['drift_days', 'number', 'drift_vs_erp_days'],
            ['recommended_lead_time_days', 'number', 'recommended_lead_time_days'],
            ['recommended_lead_time_quantile', 'number', 'recommended_lead_time_quantile'],
            ['window_start', 'string', 'lead_time_window_start_date'],
            ['window_end', 'string', 'lead_time_window_end_date'],
            ['lead_time_summary', 'string', 'lead_time_summary'],
            ['lead_time_trend', 'string', 'lead_time_trend'],
            ['has_lead_time_shift', 'boolean', 'has_lead_time_shift'],
            ['change_point_date', 'string', 'change_point_date'],
            ['median_before_change_days', 'number', 'median_before_change_days'],
            ['median_after_change_days', 'number', 'median_after_change_days'],
        ]) }} as evidence,
        'Set the ERP planned lead time of ' || canonical_part_number || ' from supplier '
        || supplier_id || ' from '
        || cast(erp_planned_lead_time_days as {{ dbt.type_string() }}) || ' to '
        || cast(recommended_lead_time_days as {{ dbt.type_string() }})
        || ' days (p'
        || cast(
            cast({{ round_double('recommended_lead_time_quantile * 100', 0) }} as integer)
            as {{ dbt.type_string() }}
        )
        || ' of ' || cast(n_lines as {{ dbt.type_string() }})
        || ' completed lines).'
        || case
            when has_lead_time_shift
                then ' Orders placed since '
                    || cast(change_point_date as {{ dbt.type_string() }}) || ' take '
                    || cast(median_after_change_days as {{ dbt.type_string() }})
                    || ' days (median) instead of '
                    || cast(median_before_change_days as {{ dbt.type_string() }}) || '.'
            else ''
        end as proposed_change
    from supplier_lead_times
    where is_drifting_vs_erp

),

mrp_lead_time_drift as (

    select
        'lead_time_drift' as finding_type,
        'mrp' as check_name,
        case
            when
                abs(drift_vs_mrp_days) > 2 * {{ var('lead_time_drift_tolerance_days') }}
                and abs(drift_vs_mrp_days)
                > 2 * {{ var('lead_time_drift_tolerance_ratio') }} * mrp_planned_lead_time_days
                then 'high'
            else 'medium'
        end as severity,
        canonical_part_id,
        supplier_id,
        cast(null as {{ dbt.type_string() }}) as plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'mrp_parameters' as change_target,
        'mart_supplier_lead_times' as source_model,
        {{ json_object([
            ['canonical_part_number', 'string', 'canonical_part_number'],
            ['n_lines', 'number', 'n_lines'],
            ['median_lead_time_days', 'number', 'median_lead_time_days'],
            ['mrp_planned_lead_time_days', 'number', 'mrp_planned_lead_time_days'],
            ['mrp_planned_lead_time_days_min', 'number', 'mrp_planned_lead_time_days_min'],
            ['mrp_planned_lead_time_days_max', 'number', 'mrp_planned_lead_time_days_max'],
            ['drift_days', 'number', 'drift_vs_mrp_days'],
            ['recommended_lead_time_days', 'number', 'recommended_lead_time_days'],
            ['window_start', 'string', 'lead_time_window_start_date'],
            ['window_end', 'string', 'lead_time_window_end_date'],
            ['lead_time_summary', 'string', 'lead_time_summary'],
            ['has_lead_time_shift', 'boolean', 'has_lead_time_shift'],
            ['change_point_date', 'string', 'change_point_date'],
        ]) }} as evidence,
        'Set the MRP planned lead time of ' || canonical_part_number
        || ' (all plants) to '
        || cast(recommended_lead_time_days as {{ dbt.type_string() }})
        || ' days, the actual lead time of preferred supplier ' || supplier_id || '.'
        || case
            when has_lead_time_shift
                then ' Orders placed since '
                    || cast(change_point_date as {{ dbt.type_string() }}) || ' take '
                    || cast(median_after_change_days as {{ dbt.type_string() }})
                    || ' days (median) instead of '
                    || cast(median_before_change_days as {{ dbt.type_string() }}) || '.'
            else ''
        end as proposed_change
    from supplier_lead_times
    where is_drifting_vs_mrp and is_preferred_supplier

),

stale_safety_stock as (

    select
        'stale_safety_stock' as finding_type,
        'mrp_parameters' as check_name,
        'low' as severity,
        canonical_part_id,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'mrp_parameters' as change_target,
        'mart_safety_stock_review' as source_model,
        {{ json_object([
            ['canonical_part_number', 'string', 'canonical_part_number'],
            ['last_changed_date', 'string', 'last_changed_date'],
            ['days_since_last_change', 'number', 'days_since_last_change'],
            ['reference_date', 'string', 'reference_date'],
            ['current_safety_stock', 'number', 'current_safety_stock'],
            ['recommended_safety_stock', 'number', round_double('recommended_safety_stock', 2)],
        ]) }} as evidence,
        'Review the MRP parameters of ' || canonical_part_number || ' at plant ' || plant
        || ', unchanged since ' || coalesce(cast(last_changed_date as {{ dbt.type_string() }}), '?')
        || coalesce(
            '; recommended safety stock '
            || cast(recommended_safety_stock_qty as {{ dbt.type_string() }}),
            ''
        )
        || '.' as proposed_change
    from safety_stock_review
    where is_stale

),

safety_stock_deviations as (

    select
        'safety_stock_deviation' as finding_type,
        'mrp_parameters' as check_name,
        case
            when current_safety_stock < recommended_safety_stock then 'high'
            else 'medium'
        end as severity,
        canonical_part_id,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'mrp_parameters' as change_target,
        'mart_safety_stock_review' as source_model,
        {{ json_object([
            ['canonical_part_number', 'string', 'canonical_part_number'],
            ['current_safety_stock', 'number', 'current_safety_stock'],
            ['recommended_safety_stock', 'number', round_double('recommended_safety_stock', 2)],
            ['deviation_ratio', 'number', round_double('safety_stock_deviation_ratio', 4)],
            ['service_level', 'number', 'service_level'],
            ['mean_daily_demand', 'number', round_double('mean_daily_demand', 4)],
            ['stddev_daily_demand', 'number', round_double('stddev_daily_demand', 4)],
            ['lead_time_mean_days', 'number', round_double('lead_time_mean_days', 2)],
            ['lead_time_stddev_days', 'number', round_double('lead_time_stddev_days', 2)],
            ['lead_time_basis', 'string', 'lead_time_basis'],
            ['lead_time_supplier_id', 'string', 'lead_time_supplier_id'],
            ['n_lead_time_lines', 'number', 'n_lead_time_lines'],
            ['n_demand_weeks', 'number', 'n_demand_weeks'],
            ['current_reorder_point', 'number', 'current_reorder_point'],
            ['recommended_reorder_point', 'number', 'recommended_reorder_point_qty'],
        ]) }} as evidence,
        'Set the MRP safety stock of ' || canonical_part_number || ' at plant ' || plant
        || ' from '
        || case
            when current_safety_stock = {{ round_double('current_safety_stock', 0) }}
                then cast(
                        cast(current_safety_stock as {{ dbt.type_bigint() }})
                        as {{ dbt.type_string() }}
                    )
            else cast(current_safety_stock as {{ dbt.type_string() }})
        end
        || ' to ' || cast(recommended_safety_stock_qty as {{ dbt.type_string() }})
        || coalesce(
            ' and its reorder point to '
            || cast(recommended_reorder_point_qty as {{ dbt.type_string() }}),
            ''
        )
        || '.' as proposed_change
    from safety_stock_review
    where is_safety_stock_deviation

),

false_available_ranked as (

    select
        *,
        row_number() over (
            partition by canonical_part_id, plant
            order by as_of_date desc, mrp_part_number asc
        ) as recency_rank,
        count(*) over (partition by canonical_part_id, plant) as n_false_available_checks
    from availability_check
    where false_available

),

false_availability as (

    select
        'false_availability' as finding_type,
        'mrp_availability' as check_name,
        'high' as severity,
        canonical_part_id,
        covering_supplier_id as supplier_id,
        plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'mrp_parameters' as change_target,
        'mart_availability_check' as source_model,
        {{ json_object([
            ['canonical_part_number', 'string', 'canonical_part_number'],
            ['n_false_available_checks', 'number', 'n_false_available_checks'],
            ['latest_as_of_date', 'string', 'as_of_date'],
            ['required_qty', 'number', 'required_qty'],
            ['on_hand_qty', 'number', 'on_hand_qty'],
            ['inventory_snapshot_date', 'string', 'inventory_snapshot_date'],
            ['covering_po_number', 'string', 'covering_po_number'],
            ['covering_po_line', 'number', 'covering_po_line'],
            ['covering_due_date', 'string', 'covering_due_date'],
            ['days_past_due', 'number', 'days_past_due'],
        ]) }} as evidence,
        'MRP counts past-due PO ' || covering_po_number || '/'
        || cast(covering_po_line as {{ dbt.type_string() }}) || ' (due '
        || cast(covering_due_date as {{ dbt.type_string() }}) || ', '
        || cast(days_past_due as {{ dbt.type_string() }})
        || ' days late) as supply for ' || canonical_part_number || ' at plant ' || plant
        || ': expedite or re-date the PO line so MRP stops reporting the part available.'
            as proposed_change
    from false_available_ranked
    where recency_rank = 1

),

lot_size_conflicts as (

    select
        'order_policy_conflict' as finding_type,
        'mrp_lot_size' as check_name,
        'medium' as severity,
        canonical_part_id,
        supplier_id,
        plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'mrp_parameters' as change_target,
        'mart_order_policy_review' as source_model,
        {{ json_object([
            ['canonical_part_number', 'string', 'canonical_part_number'],
            ['lot_size_policy', 'string', 'lot_size_policy'],
            ['mrp_minimum_lot_size', 'number', 'mrp_minimum_lot_size'],
            ['min_order_qty', 'number', 'min_order_qty'],
            ['order_multiple', 'number', 'order_multiple'],
            ['below_min_order_qty', 'boolean', 'is_mrp_lot_below_min_order_qty'],
            ['not_order_multiple', 'boolean', 'is_mrp_lot_not_order_multiple'],
            ['proposed_mrp_lot_size', 'number', 'proposed_mrp_lot_size'],
            ['proposed_lot_size_field', 'string', 'proposed_lot_size_field'],
        ]) }} as evidence,
        'Align the MRP lot size of ' || canonical_part_number || ' at plant ' || plant
        || ' (' || lot_size_policy || ' '
        || cast(mrp_minimum_lot_size as {{ dbt.type_string() }})
        || ') with the ERP policy of supplier ' || supplier_id || ' (minimum order quantity '
        || cast(min_order_qty as {{ dbt.type_string() }}) || ', multiple '
        || cast(order_multiple as {{ dbt.type_string() }}) || '): set '
        || proposed_lot_size_field || ' to '
        || cast(proposed_mrp_lot_size as {{ dbt.type_string() }}) || '.' as proposed_change
    from order_policy_review
    where has_lot_size_conflict

),

po_quantity_breaks as (

    select distinct
        'order_policy_conflict' as finding_type,
        'po_quantity' as check_name,
        'low' as severity,
        canonical_part_id,
        supplier_id,
        cast(null as {{ dbt.type_string() }}) as plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'erp_purchasing_info' as change_target,
        'mart_order_policy_review' as source_model,
        {{ json_object([
            ['canonical_part_number', 'string', 'canonical_part_number'],
            ['n_po_lines', 'number', 'n_po_lines'],
            ['n_po_lines_below_min_order_qty', 'number', 'n_po_lines_below_min_order_qty'],
            ['n_po_lines_not_order_multiple', 'number', 'n_po_lines_not_order_multiple'],
            ['example_po_line', 'string', 'example_breaking_po_line'],
            ['min_order_qty', 'number', 'min_order_qty'],
            ['order_multiple', 'number', 'order_multiple'],
        ]) }} as evidence,
        cast(
            n_po_lines_below_min_order_qty + n_po_lines_not_order_multiple
            as {{ dbt.type_string() }}
        )
        || ' breach(es) of the ERP order policy of ' || canonical_part_number
        || ' from supplier ' || supplier_id || ' in '
        || cast(n_po_lines as {{ dbt.type_string() }}) || ' PO lines (e.g. '
        || example_breaking_po_line
        || '): correct the purchasing info or order in policy quantities.' as proposed_change
    from order_policy_review
    where has_po_quantity_breaks

),

quarantine_ranked as (

    select
        source_table,
        reason,
        handling,
        canonical_part_id,
        source_key,
        detail,
        row_number() over (
            partition by source_table, reason, canonical_part_id
            order by source_key asc
        ) as example_rank
    from quarantined_rows
    where canonical_part_id is not null

),

quarantine_groups as (

    select
        source_table,
        reason,
        canonical_part_id,
        min(handling) as handling,
        count(*) as n_rows,
        min(case when example_rank = 1 then detail end) as example_detail,
        {{ dbt.listagg(
            'case when example_rank <= 5 then source_key end', "', '", 'order by example_rank'
        ) }} as example_source_keys
    from quarantine_ranked
    group by
        source_table,
        reason,
        canonical_part_id

),

quarantined as (

    select
        'quarantined_rows' as finding_type,
        source_table || ':' || reason as check_name,
        case when handling = 'kept_as_reported' then 'low' else 'medium' end as severity,
        canonical_part_id,
        cast(null as {{ dbt.type_string() }}) as supplier_id,
        cast(null as {{ dbt.type_string() }}) as plant,
        cast(null as {{ dbt.type_string() }}) as related_canonical_part_id,
        'erp_transactions' as change_target,
        'quarantined_rows' as source_model,
        {{ json_object([
            ['source_table', 'string', 'source_table'],
            ['reason', 'string', 'reason'],
            ['handling', 'string', 'handling'],
            ['n_rows', 'number', 'n_rows'],
            ['example_source_keys', 'string', 'example_source_keys'],
            ['example_detail', 'string', 'example_detail'],
        ]) }} as evidence,
        'Correct ' || cast(n_rows as {{ dbt.type_string() }}) || ' ' || source_table
        || ' row(s) in the ERP (' || reason || ', e.g. ' || example_source_keys || '): '
        || case
            when handling = 'po_line_excluded_from_lead_time_statistics'
                then 'until then their PO lines are left out of lead-time statistics.'
            when handling = 'reversal_ignored_in_receipt_netting'
                then 'until then these reversals cancel nothing.'
            when handling = 'movement_not_counted_for_any_po_line'
                then 'until then these movements count for no PO line.'
            when handling = 'movement_counted_as_never_posted'
                then 'until their date has passed they count as never posted.'
            else 'until then they are used as reported.'
        end as proposed_change
    from quarantine_groups

),

findings as (

    select * from duplicate_part_records
    union all
    select * from conflicting_item_attributes
    union all
    select * from conflicting_purchasing_info
    union all
    select * from conflicting_mrp_parameters
    union all
    select * from possible_duplicate_parts
    union all
    select * from unmatched_mrp_parts
    union all
    select * from erp_lead_time_drift
    union all
    select * from mrp_lead_time_drift
    union all
    select * from stale_safety_stock
    union all
    select * from safety_stock_deviations
    union all
    select * from false_availability
    union all
    select * from lot_size_conflicts
    union all
    select * from po_quantity_breaks
    union all
    select * from quarantined

),

final as (

    select
        {{ surrogate_key([
            'findings.finding_type',
            'findings.check_name',
            'findings.canonical_part_id',
            'findings.supplier_id',
            'findings.plant',
            'findings.related_canonical_part_id',
        ]) }} as finding_id,
        findings.finding_type,
        findings.severity,
        findings.canonical_part_id,
        findings.supplier_id,
        findings.evidence,
        findings.proposed_change,
        findings.check_name,
        findings.plant,
        parts.canonical_part_number,
        findings.related_canonical_part_id,
        findings.change_target,
        findings.source_model,
        reference_dates.reference_date
    from findings
    cross join reference_dates
    left join parts
        on findings.canonical_part_id = parts.canonical_part_id

)

select * from final
