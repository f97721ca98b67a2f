{#
    The steward's decisions on the possible-duplicate review queue (part_match_review), one
    row per pair: match_decisions.csv in PLANSIGNAL_DECISIONS_DIR, written by
    `plansignal review accept|reject` and reviewed like code.
#}

with

decisions as (

    {{ read_steward_decisions('match_decisions', [
        ['match_review_id', 'string'],
        ['part_number_a', 'string'],
        ['part_number_b', 'string'],
        ['decision', 'string'],
        ['decided_by', 'string'],
        ['decided_on', 'date'],
        ['note', 'string'],
    ]) }}

),

final as (

    select
        trim(match_review_id) as match_review_id,
        part_number_a,
        part_number_b,
        lower(trim(decision)) as decision,
        trim(decided_by) as decided_by,
        decided_on,
        note
    from decisions

)

select * from final
