{#
    This run's findings: one row per finding, with its type, severity, the evidence (JSON
    text) and the proposed master-data change (text). The governance worklist
    (mart_master_data_exceptions) adds each finding's lifecycle (int_finding_lifecycle).

    Each kind of finding is its own model in models/intermediate/findings,
    int_findings__<finding_type>[_<check>], which states its rule, severity, evidence and
    proposal (its header says when it is raised). This model is their union by column name
    (macros/findings.sql, union_findings): every finding model has the columns of the finding
    contract (finding_columns()), and the compilation stops, naming the model and the column,
    when one does not, or when a model of the folder is missing from the list below.

    finding_id: md5 of type, check, part, supplier, plant and related part: stable across runs
    while the finding persists.
#}

with

findings as (

    {{ union_findings([
        'int_findings__duplicate_part_records',
        'int_findings__conflicting_attributes_erp_items',
        'int_findings__conflicting_attributes_purchasing_info',
        'int_findings__conflicting_attributes_mrp_parameters',
        'int_findings__possible_duplicate_part',
        'int_findings__unmatched_mrp_part',
        'int_findings__lead_time_drift_erp',
        'int_findings__lead_time_drift_mrp',
        'int_findings__stale_safety_stock',
        'int_findings__safety_stock_deviation',
        'int_findings__false_availability',
        'int_findings__order_policy_conflict_lot_size',
        'int_findings__order_policy_conflict_po_quantity',
        'int_findings__quarantined_rows',
    ]) }}

),

final as (

    select
        finding_id,
        finding_type,
        severity,
        canonical_part_id,
        supplier_id,
        evidence,
        proposed_change,
        check_name,
        plant,
        canonical_part_number,
        related_canonical_part_id,
        change_target,
        source_model,
        reference_date
    from findings

)

select * from final
