{#
    Review queue of possible duplicate parts: pairs of different canonical parts that may be
    one part. Never merged here: a steward accepts a pair (`plansignal review accept`, a row of
    match_decisions; int_part_aliases then merges the two, so the pair leaves this mart) or
    rejects it (review_status rejected, with who and when: it stays here for the record but
    is no longer open and raises no possible_duplicate_part finding).

    Candidate pairs come from blocking keys, never from comparing every part with every other
    (same rules as tooling/part_numbers.py): the same normalised manufacturer part
    number (any merged ERP item record), the same number once look-alike characters are folded
    (O/Q/D->0, I/L->1, S->5, Z->2, B->8, G->6), the same multiset of characters (transposed
    digits). A key shared by more than 50 parts says nothing about identity and is skipped.

    score = 0.45 number_similarity + 0.30 description_similarity
            + 0.20 (same manufacturer part number) + 0.05 (a shared supplier),
    halved when the two numbers carry different revision suffixes (-A, -R2, REV3: different
    revisions are different parts). Pairs scoring at least var match_review_min_score are kept.
    Similarities come from string_similarity (Jaro-Winkler on DuckDB and Spark).
#}

{%- set lookalikes_from = 'OQDILSZBG' -%}
{%- set lookalikes_to = '000115286' -%}
{%- set revision_pattern = "'(?:[-_. /]?(?:REV|R)[0-9]+|[-_. /][A-Z])$'" -%}

with

parts as {{ not_materialized() }} (

    select * from {{ ref('dim_parts') }}

),

part_aliases as {{ not_materialized() }} (

    select * from {{ ref('int_part_aliases') }}

),

items as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__items') }}

),

match_decisions as {{ not_materialized() }} (

    select * from {{ ref('stg_steward__match_decisions') }}

),

rejected_pairs as (

    select
        match_review_id,
        decided_by,
        decided_on
    from match_decisions
    where decision = 'reject'

),

purchasing_info as {{ not_materialized() }} (

    select * from {{ ref('int_purchasing_info__canonical') }}

),

part_features as (

    select
        canonical_part_id,
        canonical_part_number,
        canonical_part_key,
        lower(description) as description_lower,
        translate(canonical_part_key, '{{ lookalikes_from }}', '{{ lookalikes_to }}')
            as folded_key,
        {{ sorted_characters('canonical_part_key') }} as character_key,
        nullif(
            {{ regexp_replace_all(
                regexp_extract('upper(trim(canonical_part_number))', revision_pattern),
                "'[-_. /]'",
                "''"
            ) }},
            ''
        ) as revision_suffix
    from parts

),

manufacturer_part_keys as (

    select distinct
        part_aliases.canonical_part_id,
        {{ normalize_part_number('items.manufacturer_part_number') }} as manufacturer_part_key
    from items
    inner join part_aliases
        on {{ part_alias_match('items', 'erp') }}
    where {{ normalize_part_number('items.manufacturer_part_number') }} is not null

),

blocking_keys as (

    select
        canonical_part_id,
        'folded' as block_type,
        folded_key as block_value
    from part_features

    union

    select
        canonical_part_id,
        'chars' as block_type,
        character_key as block_value
    from part_features

    union

    select
        canonical_part_id,
        'mpn' as block_type,
        manufacturer_part_key as block_value
    from manufacturer_part_keys

),

blocks_sized as (

    select
        canonical_part_id,
        block_type,
        block_value,
        count(*) over (partition by block_type, block_value) as block_size
    from blocking_keys

),

block_pairs as (

    select distinct
        part_a.canonical_part_id as part_id_a,
        part_b.canonical_part_id as part_id_b,
        part_a.block_type
    from blocks_sized as part_a
    inner join blocks_sized as part_b
        on {{ keys_match('part_a', 'part_b', ['block_type', 'block_value']) }}
            and part_a.canonical_part_id < part_b.canonical_part_id
    where part_a.block_size between 2 and 50

),

pairs as (

    select
        part_id_a,
        part_id_b,
        max(case when block_type = 'mpn' then 1 else 0 end) = 1
            as same_manufacturer_part_number,
        {{ dbt.listagg('block_type', "','", 'order by block_type') }} as blocking_keys
    from block_pairs
    group by
        part_id_a,
        part_id_b

),

shared_suppliers as (

    select
        pairs.part_id_a,
        pairs.part_id_b,
        count(*) as shared_suppliers
    from pairs
    inner join purchasing_info as suppliers_a
        on pairs.part_id_a = suppliers_a.canonical_part_id
    inner join purchasing_info as suppliers_b
        on
            pairs.part_id_b = suppliers_b.canonical_part_id
            and suppliers_a.supplier_id = suppliers_b.supplier_id
    group by
        pairs.part_id_a,
        pairs.part_id_b

),

scored as (

    select
        pairs.part_id_a,
        pairs.part_id_b,
        features_a.canonical_part_number as part_number_a,
        features_b.canonical_part_number as part_number_b,
        pairs.same_manufacturer_part_number,
        pairs.blocking_keys,
        features_a.revision_suffix as revision_suffix_a,
        features_b.revision_suffix as revision_suffix_b,
        coalesce(shared_suppliers.shared_suppliers, 0) as shared_suppliers,
        greatest(
            {{ string_similarity(
                'features_a.canonical_part_key', 'features_b.canonical_part_key'
            ) }},
            {{ string_similarity('features_a.folded_key', 'features_b.folded_key') }}
        ) as number_similarity,
        coalesce(
            {{ string_similarity(
                'features_a.description_lower', 'features_b.description_lower'
            ) }},
            0
        ) as description_similarity,
        coalesce(features_a.revision_suffix, '') <> coalesce(features_b.revision_suffix, '')
            as revision_conflict
    from pairs
    inner join part_features as features_a
        on pairs.part_id_a = features_a.canonical_part_id
    inner join part_features as features_b
        on pairs.part_id_b = features_b.canonical_part_id
    left join shared_suppliers
        on {{ keys_match('pairs', 'shared_suppliers', ['part_id_a', 'part_id_b']) }}

),

weighted as (

    select
        *,
        (
            0.45 * number_similarity
            + 0.30 * description_similarity
            + case when same_manufacturer_part_number then 0.20 else 0.0 end
            + case when shared_suppliers > 0 then 0.05 else 0.0 end
        )
        * case when revision_conflict then 0.5 else 1.0 end as raw_score,
        {{ surrogate_key(['part_id_a', 'part_id_b']) }} as match_review_id
    from scored

),

reviewed as (

    select
        weighted.*,
        case
            when rejected_pairs.match_review_id is not null then 'rejected'
            else 'proposed'
        end as review_status,
        rejected_pairs.decided_by,
        rejected_pairs.decided_on
    from weighted
    left join rejected_pairs
        on weighted.match_review_id = rejected_pairs.match_review_id

),

final as (

    select
        match_review_id,
        part_id_a,
        part_id_b,
        part_number_a,
        part_number_b,
        {{ round_double('raw_score', 4) }} as score,
        {{ round_double('number_similarity', 4) }} as number_similarity,
        {{ round_double('description_similarity', 4) }} as description_similarity,
        same_manufacturer_part_number,
        shared_suppliers,
        revision_conflict,
        blocking_keys,
        'number similarity '
        || cast({{ round_double('number_similarity', 2) }} as {{ dbt.type_string() }})
        || ' (' || part_number_a || ' vs ' || part_number_b || '); description similarity '
        || cast({{ round_double('description_similarity', 2) }} as {{ dbt.type_string() }})
        || '; same manufacturer part number: '
        || case when same_manufacturer_part_number then 'yes' else 'no' end
        || '; shared suppliers: ' || cast(shared_suppliers as {{ dbt.type_string() }})
        || case
            when revision_conflict
                then '; revision suffixes differ ('
                    || coalesce(revision_suffix_a, '-') || ' vs '
                    || coalesce(revision_suffix_b, '-') || ')'
            else ''
        end as evidence,
        'sql_blocking_v1' as matcher,
        review_status,
        decided_by,
        decided_on
    from reviewed
    where raw_score >= {{ var('match_review_min_score') }}

)

select * from final
