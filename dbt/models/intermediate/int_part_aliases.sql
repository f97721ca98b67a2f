{#
    Part reconciliation (DESIGN.md "Part reconciliation"): each source part number of each
    system maps to exactly one canonical part.

    1. Deterministic normalisation: normalize_part_number (upper case, whitespace and the
       separators - _ . / removed). The normalised number is the canonical part key.
    2. The steward crosswalk (seed part_crosswalk) always wins: a crosswalk row for the source
       system and part number (the exact trimmed spelling first, else the same normalised
       number) replaces the key with the normalised canonical_part_number it names. A review
       pair the steward accepted (match_decisions, `plansignal review accept`) counts as
       crosswalk rows mapping part_number_b, in both systems, to part_number_a; the latest
       decision wins where a seed row and a decision name the same number.
    3. The canonical part number (spelling) is the ERP item record's part number (the ACTIVE
       record; else the most recently updated one), else the steward's crosswalk spelling, else
       the source spelling (ERP before MRP, then alphabetical); surrounding whitespace trimmed.
    canonical_part_id = md5 of the canonical part key: stable while the key is.
#}

with

part_numbers as {{ not_materialized() }} (

    select * from {{ ref('int_part_numbers__unioned') }}

),

items as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__items') }}

),

part_crosswalk as {{ not_materialized() }} (

    select * from {{ ref('part_crosswalk') }}

),

match_decisions as {{ not_materialized() }} (

    select * from {{ ref('stg_steward__match_decisions') }}

),

source_systems as (

    select 'erp' as source_system
    union all
    select 'mrp' as source_system

),

crosswalk as (

    select
        source_system,
        source_part_number,
        canonical_part_number,
        decided_by,
        decided_on,
        note
    from part_crosswalk

    union all

    -- An accepted review pair acts as crosswalk rows: every spelling of part_number_b, in the
    -- ERP and the MRP, joins part_number_a's canonical part.
    select
        source_systems.source_system,
        match_decisions.part_number_b as source_part_number,
        match_decisions.part_number_a as canonical_part_number,
        match_decisions.decided_by,
        match_decisions.decided_on,
        'accepted review pair ' || match_decisions.match_review_id
        || coalesce(': ' || match_decisions.note, '') as note
    from match_decisions
    cross join source_systems
    where match_decisions.decision = 'accept'

),

normalized as (

    select
        source_system,
        source_part_number,
        source_tables,
        is_erp_item,
        n_source_rows,
        coalesce(
            {{ normalize_part_number('source_part_number') }},
            upper(trim(source_part_number))
        ) as normalized_part_number
    from part_numbers

),

crosswalk_cleaned as (

    select
        lower(trim(source_system)) as source_system,
        source_part_number,
        coalesce(
            {{ normalize_part_number('source_part_number') }},
            upper(trim(source_part_number))
        ) as source_normalized_part_number,
        trim(canonical_part_number) as canonical_part_number,
        coalesce(
            {{ normalize_part_number('canonical_part_number') }},
            upper(trim(canonical_part_number))
        ) as canonical_part_key,
        decided_by,
        decided_on,
        note
    from crosswalk

),

crosswalk_candidates as (

    select
        normalized.source_system,
        normalized.source_part_number,
        crosswalk_cleaned.canonical_part_number,
        crosswalk_cleaned.canonical_part_key,
        crosswalk_cleaned.decided_by,
        crosswalk_cleaned.decided_on,
        crosswalk_cleaned.note,
        -- A row naming the spelling itself wins over one matching it once normalised.
        case
            when normalized.source_part_number = crosswalk_cleaned.source_part_number then 1
            else 2
        end as match_priority
    from normalized
    inner join crosswalk_cleaned
        on
            normalized.source_system = crosswalk_cleaned.source_system
            and (
                normalized.source_part_number = crosswalk_cleaned.source_part_number
                or normalized.normalized_part_number
                = crosswalk_cleaned.source_normalized_part_number
            )

),

crosswalk_ranked as (

    select
        *,
        row_number() over (
            partition by source_system, source_part_number
            order by match_priority asc, decided_on desc, canonical_part_key asc
        ) as crosswalk_rank
    from crosswalk_candidates

),

keyed as (

    select
        normalized.source_system,
        normalized.source_part_number,
        normalized.source_tables,
        normalized.is_erp_item,
        normalized.n_source_rows,
        normalized.normalized_part_number,
        crosswalk_ranked.canonical_part_number as crosswalk_canonical_part_number,
        crosswalk_ranked.decided_by as crosswalk_decided_by,
        crosswalk_ranked.decided_on as crosswalk_decided_on,
        crosswalk_ranked.note as crosswalk_note,
        crosswalk_ranked.source_part_number is not null as is_crosswalked,
        coalesce(
            crosswalk_ranked.canonical_part_key, normalized.normalized_part_number
        ) as canonical_part_key
    from normalized
    left join crosswalk_ranked
        on
            {{ keys_match(
                'normalized', 'crosswalk_ranked', ['source_system', 'source_part_number']
            ) }}
            and crosswalk_ranked.crosswalk_rank = 1

),

item_spellings as (

    select
        keyed.canonical_part_key,
        items.part_number,
        row_number() over (
            partition by keyed.canonical_part_key
            order by
                case when items.item_status = 'ACTIVE' then 0 else 1 end asc,
                items.updated_at desc nulls last,
                items.loaded_at desc,
                items.part_number asc
        ) as spelling_rank
    from items
    inner join keyed
        on
            keyed.source_system = 'erp'
            and items.part_number = keyed.source_part_number

),

other_spellings as (

    select
        canonical_part_key,
        coalesce(crosswalk_canonical_part_number, source_part_number) as part_number,
        row_number() over (
            partition by canonical_part_key
            order by
                case when is_crosswalked then 0 else 1 end asc,
                case when source_system = 'erp' then 0 else 1 end asc,
                coalesce(crosswalk_canonical_part_number, source_part_number) asc
        ) as spelling_rank
    from keyed

),

canonical_parts as (

    select
        other_spellings.canonical_part_key,
        trim(coalesce(item_spellings.part_number, other_spellings.part_number))
            as canonical_part_number
    from other_spellings
    left join item_spellings
        on
            other_spellings.canonical_part_key = item_spellings.canonical_part_key
            and item_spellings.spelling_rank = 1
    where other_spellings.spelling_rank = 1

),

erp_presence as (

    select
        canonical_part_key,
        max(case when source_system = 'erp' then 1 else 0 end) = 1 as has_erp_alias
    from keyed
    group by canonical_part_key

),

final as (

    select
        keyed.source_system,
        keyed.source_part_number,
        {{ dbt.hash('keyed.canonical_part_key') }} as canonical_part_id,
        case
            when keyed.is_crosswalked then 'crosswalk'
            when keyed.source_system = 'mrp' and not erp_presence.has_erp_alias then 'mrp_only'
            when keyed.source_part_number = canonical_parts.canonical_part_number then 'exact'
            else 'normalized'
        end as match_method,
        canonical_parts.canonical_part_number,
        keyed.canonical_part_key,
        keyed.normalized_part_number,
        keyed.is_crosswalked,
        keyed.crosswalk_canonical_part_number,
        keyed.crosswalk_decided_by,
        keyed.crosswalk_decided_on,
        keyed.crosswalk_note,
        keyed.is_erp_item,
        keyed.source_tables,
        keyed.n_source_rows
    from keyed
    inner join canonical_parts
        on keyed.canonical_part_key = canonical_parts.canonical_part_key
    inner join erp_presence
        on keyed.canonical_part_key = erp_presence.canonical_part_key

)

select * from final
