{#
    The governance worklist: one row per finding of this run (int_master_data_findings, the
    union of the finding models in models/intermediate/findings), with its type, severity,
    evidence (JSON text), the proposed master-data change (text) and its lifecycle
    (int_finding_lifecycle): when it was first and last seen, how many days it has been open,
    and whether a steward waived it (status waived until waived_until); and what it costs
    (int_finding_impacts: impact_value in impact_currency, impact_basis with the numbers),
    ordered by that cost (impact_rank).

    finding_id: md5 of type, check, part, supplier, plant and related part: stable across runs
    while the finding persists, so history, waivers and change sets follow it.
#}

with

findings as {{ not_materialized() }} (

    select * from {{ ref('int_master_data_findings') }}

),

finding_lifecycle as {{ not_materialized() }} (

    select * from {{ ref('int_finding_lifecycle') }}

),

finding_impacts as {{ not_materialized() }} (

    select * from {{ ref('int_finding_impacts') }}

),

final as (

    select
        findings.finding_id,
        findings.finding_type,
        findings.severity,
        findings.canonical_part_id,
        findings.supplier_id,
        findings.evidence,
        findings.proposed_change,
        findings.check_name,
        findings.plant,
        findings.canonical_part_number,
        findings.related_canonical_part_id,
        findings.change_target,
        findings.source_model,
        findings.reference_date,
        finding_lifecycle.first_seen_at,
        finding_lifecycle.last_seen_at,
        {{ dbt.datediff('finding_lifecycle.first_seen_at', run_timestamp(), 'day') }}
            as days_open,
        finding_lifecycle.status,
        finding_lifecycle.waived_until,
        finding_impacts.impact_value,
        finding_impacts.impact_currency,
        finding_impacts.impact_basis,
        row_number() over (
            order by finding_impacts.impact_value desc, findings.finding_id asc
        ) as impact_rank
    from findings
    inner join finding_lifecycle
        on findings.finding_id = finding_lifecycle.finding_id
    inner join finding_impacts
        on findings.finding_id = finding_impacts.finding_id

)

select * from final
-- the worklist reads best by what it costs (impact_rank says the same in a column)
order by impact_rank
