{#
    Findings a steward accepts for now, one row per finding: finding_waivers.csv in
    PLANSIGNAL_DECISIONS_DIR, written by `plansignal review waive` and reviewed like code.
#}

with

waivers as (

    {{ read_steward_decisions('finding_waivers', [
        ['finding_id', 'string'],
        ['waived_by', 'string'],
        ['waived_on', 'date'],
        ['waived_until', 'date'],
        ['note', 'string'],
    ]) }}

),

final as (

    select
        trim(finding_id) as finding_id,
        trim(waived_by) as waived_by,
        waived_on,
        waived_until,
        note
    from waivers

)

select * from final
