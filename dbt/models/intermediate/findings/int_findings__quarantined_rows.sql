{#
    quarantined_rows (erp_transactions): the rows of marts.quarantined_rows, one finding per
    source table, reason and part (check <source_table>:<reason>), with the number of rows and
    up to five example keys. medium when the rows are left out of lead times or netting, low
    when kept as reported. Rows without a canonical part stay in quarantined_rows only.
#}

{% set kind = {
    'finding_type': 'quarantined_rows',
    'change_target': 'erp_transactions',
    'source_model': 'quarantined_rows',
} %}

with

quarantined_rows as {{ not_materialized() }} (

    select * from {{ ref('quarantined_rows') }}

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

quarantine_findings as (

    select
        canonical_part_id,
        source_table || ':' || reason as check_name,
        case when handling = 'kept_as_reported' then 'low' else 'medium' end as severity,
        {{ finding_evidence([
            ['source_table', 'string'],
            ['reason', 'string'],
            ['handling', 'string'],
            ['n_rows', 'number'],
            ['example_source_keys', 'string'],
            ['example_detail', 'string'],
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

final as (

    {{ finding_rows('quarantine_findings', kind) }}

)

select * from final
