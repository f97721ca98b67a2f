{#
    normalize_part_number on the cases tooling/part_numbers.py is held to: upper
    case; surrounding and inner whitespace (space, tab, no-break space) and - _ . / removed;
    nothing left = null.
#}

-- Shown in Dagster as a check on int_part_aliases (the macro keys every alias);
-- the test reads no model: the depends_on line attaches it (a singular test without a
-- dependency would be no asset check and Dagster would log an observation instead).
-- depends_on: {{ ref('int_part_aliases') }}

with

cases as (

    select
        cases.raw_value,
        cases.expected
    from (
        values
        (' pn-004711 ', 'PN004711'),
        ('PN_004711', 'PN004711'),
        ('pn.004.711', 'PN004711'),
        ('PN / 004 711', 'PN004711'),
        ('PN' || chr(9) || '004711', 'PN004711'),
        ('PN' || chr(160) || '004711', 'PN004711'),
        ('PN-004711-A', 'PN004711A'),
        ('ab--c__d..e//f', 'ABCDEF'),
        ('', null),
        (' - ', null)
    ) as cases (raw_value, expected)

),

normalized as (

    select
        raw_value,
        expected,
        {{ normalize_part_number('raw_value') }} as actual
    from cases

)

select * from normalized
where not (actual = expected or (actual is null and expected is null))
