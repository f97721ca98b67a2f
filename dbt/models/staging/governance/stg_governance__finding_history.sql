{#
    Every finding seen by a published run before this one, as the last publish left it:
    governance.finding_history of the pipeline database, which the publish step replaces with
    mart_finding_history after each successful publish (dagster_project/warehouse/
    kept_history.py). Empty before the first publish. A blocked or failed run never
    reaches it, so history only moves with what analysts were shown.
#}

with

kept_history as (

    {{ kept_table_or_empty('governance', 'finding_history', [
        ['finding_id', 'string'],
        ['finding_type', 'string'],
        ['canonical_part_id', 'string'],
        ['first_seen_at', 'timestamp'],
        ['last_seen_at', 'timestamp'],
        ['resolved_at', 'timestamp'],
        ['status', 'string'],
        ['times_reopened', 'integer'],
    ]) }}

)

-- the columns and their types are named once, in the macro call above
select * from kept_history
