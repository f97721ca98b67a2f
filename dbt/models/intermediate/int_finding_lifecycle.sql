{#
    Every finding ever seen by a published run, with its lifecycle as of this run: this run's
    findings (int_master_data_findings) against the history the last publish kept
    (stg_governance__finding_history) and the steward's waivers (stg_steward__finding_waivers).

    - status: resolved when this run no longer finds it; waived when found and a waiver holds
      on the day of the run (waived_until >= run_date()); else open.
    - first_seen_at: when a published run first found it, kept when it resolves and comes
      back (times_reopened says it did); last_seen_at: the last run that found it.
    - resolved_at: the first run without it (kept while it stays resolved; null once found
      again).
    - times_reopened: how often it went back to open, from resolved (its cause came back) or
      from waived (its waiver ran out or was withdrawn).
    Times are run_timestamp(): one value per build (dbt's run_started_at, UTC).
#}

with

findings as {{ not_materialized() }} (

    select * from {{ ref('int_master_data_findings') }}

),

kept_history as {{ not_materialized() }} (

    select * from {{ ref('stg_governance__finding_history') }}

),

finding_waivers as {{ not_materialized() }} (

    select * from {{ ref('stg_steward__finding_waivers') }}

),

combined as (

    select
        coalesce(findings.finding_id, kept_history.finding_id) as finding_id,
        coalesce(findings.finding_type, kept_history.finding_type) as finding_type,
        coalesce(findings.canonical_part_id, kept_history.canonical_part_id)
            as canonical_part_id,
        findings.finding_id is not null as is_found,
        kept_history.status as previous_status,
        kept_history.first_seen_at as previous_first_seen_at,
        kept_history.last_seen_at as previous_last_seen_at,
        kept_history.resolved_at as previous_resolved_at,
        coalesce(kept_history.times_reopened, 0) as previous_times_reopened
    from findings
    full outer join kept_history
        on findings.finding_id = kept_history.finding_id

),

with_status as (

    select
        combined.*,
        finding_waivers.waived_until,
        case
            when not combined.is_found then 'resolved'
            when finding_waivers.waived_until >= {{ run_date() }} then 'waived'
            else 'open'
        end as status
    from combined
    left join finding_waivers
        on combined.finding_id = finding_waivers.finding_id

),

final as (

    select
        finding_id,
        finding_type,
        canonical_part_id,
        coalesce(previous_first_seen_at, {{ run_timestamp() }}) as first_seen_at,
        case
            when is_found then {{ run_timestamp() }}
            else previous_last_seen_at
        end as last_seen_at,
        case
            when status = 'resolved' and previous_status = 'resolved'
                then previous_resolved_at
            when status = 'resolved'
                then {{ run_timestamp() }}
        end as resolved_at,
        status,
        previous_times_reopened
        + case
            when status = 'open' and previous_status in ('resolved', 'waived') then 1
            else 0
        end as times_reopened,
        waived_until
    from with_status

)

select * from final
