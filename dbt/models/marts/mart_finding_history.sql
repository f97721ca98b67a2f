{#
    Every finding ever seen by a published run, open, waived or resolved, with when it was
    first and last seen, when it resolved (the first published run without it) and how often
    it came back. Kept across runs: after each publish it becomes the history the next run
    starts from (governance.finding_history of the pipeline database).
#}

with

finding_lifecycle as {{ not_materialized() }} (

    select * from {{ ref('int_finding_lifecycle') }}

),

final as (

    select
        finding_id,
        finding_type,
        canonical_part_id,
        first_seen_at,
        last_seen_at,
        resolved_at,
        status,
        times_reopened
    from finding_lifecycle

)

select * from final
