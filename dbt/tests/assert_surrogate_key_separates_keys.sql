{#
    surrogate_key gives different key tuples different keys, whatever punctuation the values
    hold (part numbers and plants may contain '|' and '~'), keeps a literal '_null_' apart from
    null, and leaves keys of values without '|' or '~' as they were (md5 of 'a|b').
#}

-- Shown in Dagster as a check on mart_availability_check (its id is the surrogate key of
-- date, part number and plant); the test reads no model: the depends_on line attaches it (a singular test without a
-- dependency would be no asset check and Dagster would log an observation instead).
-- depends_on: {{ ref('mart_availability_check') }}

with

cases as (

    select
        cases.case_id,
        cases.part_number,
        cases.plant
    from (
        values
        (1, 'A|B', 'C'),
        (2, 'A', 'B|C'),
        (3, 'A~/B', 'C'),
        (4, 'A~', '/B|C'),
        (5, '_null_', 'C'),
        (6, null, 'C'),
        (7, '~_null_', 'C'),
        (8, 'A', 'B')
    ) as cases (case_id, part_number, plant)

),

keyed as (

    select
        case_id,
        {{ surrogate_key(['part_number', 'plant']) }} as key_value
    from cases

),

collisions as (

    select
        left_cases.case_id,
        right_cases.case_id as other_case_id,
        'same key' as problem
    from keyed as left_cases
    inner join keyed as right_cases
        on
            left_cases.key_value = right_cases.key_value
            and left_cases.case_id < right_cases.case_id

),

changed as (

    select
        case_id,
        case_id as other_case_id,
        'key of plain values changed' as problem
    from keyed
    where case_id = 8 and key_value <> {{ dbt.hash("'A|B'") }}

)

select * from collisions
union all
select * from changed
