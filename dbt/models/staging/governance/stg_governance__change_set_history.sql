{#
    Every change proposed by a published run before this one, with its status as the last
    publish left it: governance.change_set_history of the pipeline database, replaced with
    mart_change_set_status after each successful publish (dagster_project/warehouse/
    kept_history.py). Empty before the first publish.
#}

with

kept_history as (

    {{ kept_table_or_empty('governance', 'change_set_history', [
        ['proposal_id', 'string'],
        ['change_id', 'string'],
        ['target_system', 'string'],
        ['target_table', 'string'],
        ['target_field', 'string'],
        ['part_number', 'string'],
        ['supplier_id', 'string'],
        ['plant', 'string'],
        ['proposed_value', 'float'],
        ['finding_id', 'string'],
        ['status', 'string'],
        ['first_proposed_at', 'timestamp'],
        ['last_proposed_at', 'timestamp'],
        ['closed_at', 'timestamp'],
        ['closed_by_extract', 'string'],
    ]) }}

)

-- the columns and their types are named once, in the macro call above
select * from kept_history
